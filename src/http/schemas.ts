// The API's shapes as zod schemas: requests are validated with them and the OpenAPI document is generated from them.
import { z } from 'zod';
import { ERRORS } from '../errors.js';
import { MAX_PATTERN_LENGTH } from '../search/sources.js';

export interface AppLimits {
  maxQueryChars: number;
  defaultK: number;
  maxK: number;
  maxBodyBytes: number;
  /** The highest score a hit can have: 1 + BM25's k1 (the README, "What a score means"); 1 + 1.5 when absent. */
  maxScore?: number;
}

/** Request schemas of GET (query string) and POST (JSON body) /search, bounded by the configured limits. */
export function searchRequestSchemas(limits: AppLimits) {
  const typed = (what: string) => ({
    error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : Array.isArray(issue.input) ? 'must be given once' : `must be ${what}`),
  });
  const query = z
    .string(typed('a string'))
    .trim()
    .min(1, 'must not be empty')
    .max(limits.maxQueryChars, `must be at most ${limits.maxQueryChars} characters`)
    .meta({ description: 'The question, in plain language.', example: 'why does Pakistan want a broad-based Kabul government' });
  // The other name of the question: no example of its own, so that a form filled from the examples gives one of the two.
  const alias = query.meta({ description: 'Another name for the question: give `q` or `query`, not both.', example: undefined });
  const k = (n: z.ZodNumber) =>
    n
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(limits.maxK, `must be at most ${limits.maxK}`)
      .default(limits.defaultK)
      .meta({ description: 'How many hits to return, best first.' });
  const maxScore = limits.maxScore ?? 2.5;
  const minScore = (n: z.ZodNumber) =>
    n
      .min(-1, 'must be at least -1')
      .max(maxScore, `must be at most ${maxScore}`)
      .optional()
      .meta({ description: `Leave out hits scoring below this. Scores lie between -1 and ${maxScore}.` });
  const offset = (n: z.ZodNumber) =>
    n
      .int('must be a whole number')
      .min(0, 'must be at least 0')
      .max(MAX_OFFSET, `must be at most ${MAX_OFFSET}`)
      .default(0)
      .meta({ description: 'Hits to pass over first, for paging: offset 5 with k 5 gives hits 6–10.' });
  const source = z
    .string(typed('a string'))
    .min(1, 'must not be empty')
    .max(MAX_PATTERN_LENGTH, `must be at most ${MAX_PATTERN_LENGTH} characters`)
    .optional()
    .meta({ description: 'Only documents whose path matches this glob: `reports/**`, `*.pdf` (a pattern without `/` matches a file name in any folder).' });
  const groupBy = z
    .enum(['source'], typed('"source"'))
    .optional()
    .meta({ description: 'With `source`: at most `groupSize` hits from one document, best first.' });
  const groupSize = (n: z.ZodNumber) =>
    n
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(limits.maxK, `must be at most ${limits.maxK}`)
      .optional()
      .meta({ description: 'Hits per document at most when grouping; 1 when absent.' });
  // The question may be named q or query in either form; one of the two, not both. groupSize only with groupBy.
  const checks = (v: { q?: string; query?: string; groupBy?: string; groupSize?: number }, ctx: z.RefinementCtx) => {
    if (v.q === undefined && v.query === undefined) ctx.addIssue({ code: 'custom', path: ['q'], message: 'is required (as q or query)' });
    if (v.q !== undefined && v.query !== undefined) ctx.addIssue({ code: 'custom', path: ['query'], message: 'must not be given with q' });
    if (v.groupSize !== undefined && v.groupBy === undefined) ctx.addIssue({ code: 'custom', path: ['groupSize'], message: 'needs groupBy=source' });
  };
  const fields = (number: () => z.ZodNumber) => ({
    k: k(number()),
    offset: offset(number()),
    minScore: minScore(number()),
    source,
    groupBy,
    groupSize: groupSize(number()),
  });
  return {
    get: z.strictObject({ q: query.optional(), query: alias.optional(), ...fields(() => z.coerce.number(typed('a number'))) }).superRefine(checks),
    post: z
      .strictObject({ query: query.optional(), q: alias.optional(), ...fields(() => z.number(typed('a number'))) })
      .superRefine(checks)
      .meta({ id: 'SearchRequest' }),
  };
}

/** The most hits a client can pass over: deeper than this, a search is a crawl. */
export const MAX_OFFSET = 1000;

/** A validated request as the search takes it: the question and its options. */
export function searchOptionsOf(req: {
  q?: string;
  query?: string;
  k: number;
  offset: number;
  minScore?: number;
  source?: string;
  groupBy?: 'source';
  groupSize?: number;
}) {
  return {
    query: (req.q ?? req.query)!,
    k: req.k,
    offset: req.offset,
    ...(req.minScore !== undefined ? { minScore: req.minScore } : {}),
    ...(req.source !== undefined ? { source: req.source } : {}),
    ...(req.groupBy ? { perSource: req.groupSize ?? 1 } : {}),
  };
}

export const hitSchema = z
  .object({
    id: z.string().meta({ description: 'Stable passage id: source:start-end.' }),
    score: z.number().meta({
      description:
        "Meaning (cosine of the closest sentence) and keyword score, mixed by the query's keyword share; higher is better, and comparable across queries.",
    }),
    text: z.string().meta({ description: 'The passage.' }),
    source: z.string().meta({ description: 'The document, relative to the corpus folder.' }),
    start: z.number().int().meta({ description: 'Offset of the passage in the document, in characters.' }),
    end: z.number().int(),
    highlight: z
      .object({ start: z.number().int(), end: z.number().int(), text: z.string() })
      .meta({ description: 'The answering sentence; offsets into `text`.' }),
    confident: z.boolean().meta({
      description:
        'Whether the hit is likely to answer: it scores above `threshold`, what this index gives to questions it cannot answer (calibrated per index on built-in probe questions). A response with no confident hit means no passage answers the question; the other hits are weaker matches.',
    }),
    title: z
      .string()
      .optional()
      .meta({ description: "The document's title, where it has one: an HTML page's, a PDF's metadata, Markdown front matter, a top heading." }),
    page: z.number().int().min(1).optional().meta({ description: 'The page the passage starts on (PDF), from 1.' }),
    section: z.string().optional().meta({ description: 'The nearest heading above the passage (HTML, Markdown, Word).' }),
  })
  .meta({ id: 'SearchHit' });

export const searchResponseSchema = z
  .object({
    query: z.string(),
    hits: z.array(hitSchema),
    threshold: z.number().meta({ description: 'The score above which a hit of this index is confident.' }),
    index: z.string().meta({ description: 'The index build that answered.' }),
    tookMs: z.number(),
  })
  .meta({ id: 'SearchResponse' });

export const errorCodeSchema = z.enum(Object.keys(ERRORS) as [keyof typeof ERRORS, ...(keyof typeof ERRORS)[]]);

export const errorBodySchema = z
  .strictObject({
    error: z.strictObject({
      code: errorCodeSchema.meta({ description: 'What went wrong; match on this, not on the message.' }),
      message: z.string(),
      issues: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'ErrorBody' });

export const healthSchema = z
  .object({
    status: z.enum(['ok', 'no-index']),
    model: z.string(),
    index: z
      .object({
        build: z.string(),
        corpusHash: z.string(),
        builtAt: z.string(),
        passages: z.number().int(),
        documents: z.number().int(),
        skipped: z.number().int().meta({ description: 'Files of the corpus folder the build left out; the build log names each and says why.' }),
        skippedByCode: z
          .record(z.string(), z.number().int())
          .meta({ description: 'The files left out, counted by skip code (`too-large`, `too-complex`, `timeout`, `unreadable`, …; docs/usage.md).' }),
      })
      .nullable(),
    lastError: z.object({ code: z.string(), message: z.string() }).optional(),
    watch: z.enum(['watching', 'lost']).optional().meta({ description: 'With watch on: whether the corpus folder is watched.' }),
    watchError: z.object({ message: z.string(), at: z.string() }).optional().meta({ description: "The corpus watcher's last error, if any." }),
    syncError: z
      .object({ message: z.string(), code: z.string().optional(), at: z.string() })
      .optional()
      .meta({ description: "With watch on: why the last sync of the corpus folder's edits failed, until one succeeds." }),
    rebuild: z
      .object({
        running: z.boolean(),
        queued: z.boolean(),
        lastStartedAt: z.string().nullable(),
        lastFinishedAt: z.string().nullable(),
        lastError: z.object({ message: z.string(), at: z.string() }).nullable(),
      })
      .optional(),
  })
  .meta({ id: 'Health' });

export const readySchema = z.object({ status: z.literal('ready'), build: z.string() }).meta({ id: 'Ready' });

export const reindexResponseSchema = z.object({ rebuild: healthSchema.shape.rebuild.unwrap() }).meta({ id: 'ReindexResponse' });

/** Query of GET /view: which document, and which passage of it to mark. */
export const viewRequestSchema = z
  .strictObject({
    source: z.string().min(1, 'must not be empty').meta({ description: 'The document, as a hit names it.', example: 'us-pakistan-afghanistan.txt' }),
    start: z.coerce.number().int().min(0).meta({ description: "Passage start offset, in the document's extracted text.", example: 0 }),
    end: z.coerce.number().int().min(0).meta({ description: 'Passage end offset.', example: 200 }),
  })
  .refine((v) => v.end >= v.start, { path: ['end'], message: 'must not be before start' });
