// `query`: one question answered from the built index, without a server. Its options are checked by the API's own
// request schema, so the command accepts and refuses what GET /search does.
import { AppError } from '../errors.js';
import { searchRequestSchemas } from '../http/schemas.js';
import { WEAK_SCORE } from '../http/pages.js';
import { createService } from '../live/service.js';
import { search, type SearchHit } from '../search/search.js';
import { configFrom, type Flags } from './shared.js';

/** The hits as text: the answering sentence in colour on a terminal (unless NO_COLOR), in [brackets] otherwise. */
function printHits(hits: SearchHit[]): void {
  const color = process.stdout.isTTY && !process.env.NO_COLOR;
  const mark = (s: string) => (color ? `\x1b[1;33m${s}\x1b[0m` : `[${s}]`);
  hits.forEach((h, i) => {
    const text = h.text.slice(0, h.highlight.start) + mark(h.highlight.text) + h.text.slice(h.highlight.end);
    process.stdout.write(`${i + 1}. ${h.source}:${h.start}-${h.end}  score ${h.score.toFixed(3)}\n   ${text.replace(/\s+/g, ' ')}\n\n`);
  });
  if (!hits.length) process.stdout.write('No passage matches.\n');
  else if (hits[0].score < WEAK_SCORE) {
    process.stdout.write(`The best match scores ${hits[0].score.toFixed(3)}, under ${WEAK_SCORE}: the documents may not answer this question.\n`);
  }
}

export async function runQuery(question: string, flags: Flags & { k?: string; minScore?: string; json?: boolean }): Promise<void> {
  const { k, minScore, json, ...rest } = flags;
  const config = configFrom(rest);
  const schema = searchRequestSchemas({ maxQueryChars: config.MAX_QUERY_CHARS, defaultK: config.SEARCH_DEFAULT_K, maxK: config.SEARCH_MAX_K, maxBodyBytes: config.MAX_BODY_BYTES, maxScore: 1 + config.BM25_K1 }).get;
  const parsed = schema.safeParse({ q: question, ...(k !== undefined ? { k } : {}), ...(minScore !== undefined ? { minScore } : {}) });
  if (!parsed.success) {
    // The flags' names, as the command line spells them.
    const names: Record<string, string> = { q: 'question', k: '-k', minScore: '--min-score' };
    throw new AppError('INVALID_REQUEST', parsed.error.issues.map((i) => ({ path: names[String(i.path[0])] ?? i.path.join('.'), message: i.message })));
  }
  const service = await createService(config);
  try {
    const result = await search(service.engine(), parsed.data.q!, parsed.data.k, parsed.data.minScore);
    if (json) process.stdout.write(`${JSON.stringify({ query: parsed.data.q!, hits: result.hits }, null, 2)}\n`);
    else printHits(result.hits);
  } finally {
    await service.close();
  }
}
