// The API's shapes as zod schemas: requests are validated with them and the OpenAPI document is generated from them.
import { z } from 'zod';
import { ERRORS } from '../errors.js';

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
  // The question may be named q or query in either form; one of the two, not both.
  const oneQuestion = (v: { q?: string; query?: string }, ctx: z.RefinementCtx) => {
    if (v.q === undefined && v.query === undefined) ctx.addIssue({ code: 'custom', path: ['q'], message: 'is required (as q or query)' });
    if (v.q !== undefined && v.query !== undefined) ctx.addIssue({ code: 'custom', path: ['query'], message: 'must not be given with q' });
  };
  return {
    get: z
      .strictObject({ q: query.optional(), query: query.optional(), k: k(z.coerce.number(typed('a number'))), minScore: minScore(z.coerce.number(typed('a number'))) })
      .superRefine(oneQuestion),
    post: z
      .strictObject({ query: query.optional(), q: query.optional(), k: k(z.number(typed('a number'))), minScore: minScore(z.number(typed('a number'))) })
      .superRefine(oneQuestion)
      .meta({ id: 'SearchRequest' }),
  };
}

export const hitSchema = z
  .object({
    id: z.string().meta({ description: 'Stable passage id: source:start-end.' }),
    score: z.number().meta({ description: 'Meaning (cosine of the closest sentence) and keyword score, mixed by the query\'s keyword share; higher is better, and comparable across queries.' }),
    text: z.string().meta({ description: 'The passage.' }),
    source: z.string().meta({ description: 'The document, relative to the corpus folder.' }),
    start: z.number().int().meta({ description: 'Offset of the passage in the document, in characters.' }),
    end: z.number().int(),
    highlight: z
      .object({ start: z.number().int(), end: z.number().int(), text: z.string() })
      .meta({ description: 'The answering sentence; offsets into `text`.' }),
  })
  .meta({ id: 'SearchHit' });

export const searchResponseSchema = z
  .object({
    query: z.string(),
    hits: z.array(hitSchema),
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
      .object({ build: z.string(), corpusHash: z.string(), builtAt: z.string(), passages: z.number().int(), documents: z.number().int() })
      .nullable(),
    lastError: z.object({ code: z.string(), message: z.string() }).optional(),
    watch: z.enum(['watching', 'lost']).optional().meta({ description: 'With watch on: whether the corpus folder is watched.' }),
    watchError: z.object({ message: z.string(), at: z.string() }).optional().meta({ description: 'The corpus watcher\'s last error, if any.' }),
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
    source: z.string().min(1, 'must not be empty').meta({ description: 'The document, as a hit names it.' }),
    start: z.coerce.number().int().min(0).meta({ description: 'Passage start offset.' }),
    end: z.coerce.number().int().min(0).meta({ description: 'Passage end offset.' }),
  })
  .refine((v) => v.end >= v.start, { path: ['end'], message: 'must not be before start' });
