// `query`: one question answered from the built index, without a server.
import { search } from '../search/search.js';
import { createService } from '../live/service.js';
import { configFrom, type Flags } from './shared.js';

export async function runQuery(question: string, flags: Flags & { k?: string; json?: boolean }): Promise<void> {
  const { k, json, ...rest } = flags;
  const config = configFrom(rest);
  const service = await createService(config);
  try {
    const result = await search(service.engine(), question, Number(k ?? config.SEARCH_DEFAULT_K));
    if (json) {
      process.stdout.write(`${JSON.stringify({ query: question, hits: result.hits }, null, 2)}\n`);
      return;
    }
    const color = process.stdout.isTTY;
    const mark = (s: string) => (color ? `\x1b[1;33m${s}\x1b[0m` : `[${s}]`);
    result.hits.forEach((h, i) => {
      const text = h.text.slice(0, h.highlight.start) + mark(h.highlight.text) + h.text.slice(h.highlight.end);
      process.stdout.write(`${i + 1}. ${h.source}:${h.start}-${h.end}  score ${h.score.toFixed(3)}\n   ${text.replace(/\s+/g, ' ')}\n\n`);
    });
    if (!result.hits.length) process.stdout.write('No passage matches.\n');
  } finally {
    await service.close();
  }
}
