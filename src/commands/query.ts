// `query`: one question answered from the built index, without a server. Its options are checked by the API's own
// request schema, so the command accepts and refuses what GET /search does.
import { requestLimits } from '../config.js';
import { AppError } from '../errors.js';
import { placeOf } from '../http/pages.js';
import { searchOptionsOf, searchRequestSchemas } from '../http/schemas.js';
import { search, type SearchHit } from '../search/search.js';
import { configFrom, type Flags } from './shared.js';

/**
 * The hits as text: the answering sentence in colour on a terminal (unless NO_COLOR), in [brackets] otherwise. Only
 * the confident hits unless `all`; with none, the search says no passage answers, and how to see the weaker ones.
 */
function printHits(found: SearchHit[], all: boolean): void {
  const hits = all ? found : found.filter((h) => h.confident);
  const color = process.stdout.isTTY && !process.env.NO_COLOR;
  const mark = (s: string) => (color ? `\x1b[1;33m${s}\x1b[0m` : `[${s}]`);
  hits.forEach((h, i) => {
    const text = h.text.slice(0, h.highlight.start) + mark(h.highlight.text) + h.text.slice(h.highlight.end);
    const where = placeOf(h);
    const weak = h.confident ? '' : '  (weak match)';
    process.stdout.write(
      `${i + 1}. ${h.source}:${h.start}-${h.end}  score ${h.score.toFixed(3)}${weak}${where ? `  ${where}` : ''}\n   ${text.replace(/\s+/g, ' ')}\n\n`,
    );
  });
  if (!found.length) process.stdout.write('No passage matches.\n');
  else if (!hits.length)
    process.stdout.write(
      `No passage answers this. ${found.length} weaker match${found.length === 1 ? '' : 'es'}: add --all to see ${found.length === 1 ? 'it' : 'them'}.\n`,
    );
}

type QueryFlags = Flags & {
  k?: string;
  minScore?: string;
  offset?: string;
  source?: string;
  groupBy?: string;
  groupSize?: string;
  json?: boolean;
  all?: boolean;
};

export async function runQuery(question: string, flags: QueryFlags): Promise<void> {
  const { k, minScore, offset, source, groupBy, groupSize, json, all, ...rest } = flags;
  const config = configFrom(rest);
  const schema = searchRequestSchemas(requestLimits(config)).get;
  const given = Object.fromEntries(Object.entries({ k, minScore, offset, source, groupBy, groupSize }).filter(([, v]) => v !== undefined));
  const parsed = schema.safeParse({ q: question, ...given });
  if (!parsed.success) {
    // The flags' names, as the command line spells them.
    const names: Record<string, string> = {
      q: 'question',
      k: '-k',
      minScore: '--min-score',
      offset: '--offset',
      source: '--source',
      groupBy: '--group-by',
      groupSize: '--group-size',
    };
    throw new AppError(
      'INVALID_REQUEST',
      parsed.error.issues.map((i) => ({ path: names[String(i.path[0])] ?? i.path.join('.'), message: i.message })),
    );
  }
  // The model's libraries are loaded once the question and its options are known to be good.
  const { createService } = await import('../live/service.js');
  const service = await createService(config);
  try {
    const { query, ...options } = searchOptionsOf(parsed.data);
    const result = await search(service.engine(), query, options);
    if (json) process.stdout.write(`${JSON.stringify({ query, hits: result.hits, threshold: result.threshold }, null, 2)}\n`);
    else printHits(result.hits, Boolean(all));
  } finally {
    await service.close();
  }
}
