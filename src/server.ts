// createApp(deps) → the Hono app. It never listens and never reads the environment: cli.ts does both.
import { createHash, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { AppError, errorBody } from './errors.js';
import { search, type SearchEngine } from './search.js';

export interface AppLimits {
  maxQueryChars: number;
  defaultK: number;
  maxK: number;
  maxBodyBytes: number;
}

export interface AdminDeps {
  /** The bearer token /admin/* requires. */
  token: string;
  /** Asks for a rebuild and returns the rebuild status. */
  reindex: () => Record<string, unknown>;
}

export interface AppDeps {
  /** The engine to answer with; throws INDEX_NOT_READY (or another AppError) when there is none. */
  engine: () => SearchEngine;
  /** What /health reports beyond the status. */
  health: () => Record<string, unknown>;
  limits: AppLimits;
  /** The admin routes; without them, /admin/* does not exist. */
  admin?: AdminDeps;
  /** Called with unexpected errors (5xx), for logging. */
  onInternalError?: (err: unknown) => void;
}

/** The request schema shared by GET (query string) and POST (JSON body). */
export function searchRequestSchema(limits: AppLimits) {
  const typed = (what: string) => ({
    error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : Array.isArray(issue.input) ? 'must be given once' : `must be ${what}`),
  });
  const query = z
    .string(typed('a string'))
    .trim()
    .min(1, 'must not be empty')
    .max(limits.maxQueryChars, `must be at most ${limits.maxQueryChars} characters`);
  const k = (n: z.ZodNumber) => n.int('must be a whole number').min(1, 'must be at least 1').max(limits.maxK, `must be at most ${limits.maxK}`).default(limits.defaultK);
  const minScore = (n: z.ZodNumber) => n.min(-1, 'must be at least -1').max(1, 'must be at most 1').optional();
  return {
    get: z.strictObject({
      q: query,
      k: k(z.coerce.number(typed('a number'))),
      minScore: minScore(z.coerce.number(typed('a number'))),
    }),
    post: z.strictObject({
      query,
      k: k(z.number(typed('a number'))),
      minScore: minScore(z.number(typed('a number'))),
    }),
  };
}

function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  throw new AppError('INVALID_REQUEST', issues);
}

/** Query parameters as an object; a parameter given twice becomes an array, which the schema refuses. */
function queryParams(c: Context): Record<string, string | string[]> {
  const all = c.req.queries();
  return Object.fromEntries(Object.entries(all).map(([key, values]) => [key, values.length === 1 ? values[0] : values]));
}

async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) throw new AppError('UNSUPPORTED_MEDIA_TYPE');
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('MALFORMED_JSON');
  }
}

/** Builds the HTTP API over the given dependencies. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const schemas = searchRequestSchema(deps.limits);

  const answer = async (c: Context, query: string, k: number, minScore?: number) => {
    const started = performance.now();
    const engine = deps.engine();
    const result = await search(engine, query, k, minScore);
    return c.json({
      query,
      hits: result.hits,
      // Which build answered: every hit of one response comes from this one build.
      index: path.basename(engine.index.dir),
      tookMs: Number((performance.now() - started).toFixed(2)),
    });
  };

  app.get('/search', async (c) => {
    const req = parseOrThrow(schemas.get, queryParams(c));
    return answer(c, req.q, req.k, req.minScore);
  });

  app.post(
    '/search',
    bodyLimit({
      maxSize: deps.limits.maxBodyBytes,
      onError: () => {
        throw new AppError('PAYLOAD_TOO_LARGE', deps.limits.maxBodyBytes);
      },
    }),
    async (c) => {
      const req = parseOrThrow(schemas.post, await readJson(c));
      return answer(c, req.query, req.k, req.minScore);
    },
  );

  app.get('/health', (c) => {
    let status = 'ok';
    try {
      deps.engine();
    } catch {
      status = 'no-index';
    }
    return c.json({ status, ...deps.health() });
  });

  if (deps.admin) {
    const admin = deps.admin;
    const expected = createHash('sha256').update(admin.token).digest();
    app.use('/admin/*', async (c, next) => {
      const header = c.req.header('authorization') ?? '';
      const given = /^Bearer (.+)$/i.exec(header)?.[1] ?? '';
      // Compare digests of equal length in constant time, so timing tells nothing about the token.
      if (!timingSafeEqual(createHash('sha256').update(given).digest(), expected)) throw new AppError('UNAUTHORIZED');
      await next();
    });
    app.post('/admin/reindex', (c) => c.json({ rebuild: admin.reindex() }, 202));
    app.all('/admin/reindex', (c) => {
      throw new AppError('METHOD_NOT_ALLOWED', c.req.method, '/admin/reindex');
    });
  }

  app.all('/search', (c) => {
    throw new AppError('METHOD_NOT_ALLOWED', c.req.method, '/search');
  });
  app.all('/health', (c) => {
    throw new AppError('METHOD_NOT_ALLOWED', c.req.method, '/health');
  });

  app.notFound((c) => c.json(errorBody(new AppError('NOT_FOUND', c.req.method, c.req.path)), 404));
  app.onError((err, c) => {
    if (err instanceof AppError) {
      if (err.status >= 500) deps.onInternalError?.(err);
      return c.json(errorBody(err), err.status as 400);
    }
    deps.onInternalError?.(err);
    return c.json(errorBody(new AppError('INTERNAL')), 500);
  });
  return app;
}
