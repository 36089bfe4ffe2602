// createApp(deps) → the Hono app. It never listens and never reads the environment: cli.ts does both.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { rateLimiter } from 'hono-rate-limiter';
import type { z } from 'zod';
import { AppError, errorBody } from './errors.js';
import { createOpenApiDocument } from './openapi.js';
import { docsPage, documentPage, searchPage } from './page.js';
import { searchRequestSchemas, viewRequestSchema, type AppLimits } from './schemas.js';
import { LRUCache } from 'lru-cache';
import { search, type SearchEngine, type SearchResult } from './search.js';

export type { AppLimits };

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
  /** Reads an indexed document for /view; null when the index has no such document. */
  readDocument?: (source: string) => Promise<{ text: string; changed: boolean } | null>;
  /** The admin routes; without them, /admin/* does not exist. */
  admin?: AdminDeps;
  /** Called with unexpected errors (5xx), for logging. */
  onInternalError?: (err: unknown) => void;
  /** Structured request log (pino or alike); one line a request, with its id. Off when absent. */
  logger?: { info: (fields: object, msg: string) => void };
  /** Origins allowed to call GET /search from a browser ('*' for any); other routes send no CORS headers. */
  corsOrigin?: string;
  /** Longest a search may take before it is answered with REQUEST_TIMEOUT; 0 for no limit. */
  timeoutMs?: number;
  /** Searches per minute per client address; 0 or absent for no limit. */
  rateLimitPerMinute?: number;
  /** Answers kept per index build for repeated questions; 0 or absent for none. */
  cacheSize?: number;
  /** The client's address, for rate limiting (the socket's on Node). */
  clientAddress?: (c: Context) => string;
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

/** Resolves as `work` does, or rejects with REQUEST_TIMEOUT after `ms` (0: never). */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  if (!ms) return work;
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError('REQUEST_TIMEOUT', ms)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

const swaggerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const assets = new Map<string, Promise<Buffer>>();
/** A file of Swagger UI's npm package, read once. */
function swaggerAsset(file: string): Promise<Buffer> {
  if (!assets.has(file)) assets.set(file, readFile(path.join(swaggerDir, file)));
  return assets.get(file)!;
}

/** Builds the HTTP API over the given dependencies. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const schemas = searchRequestSchemas(deps.limits);

  app.use('*', requestId());
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    deps.logger?.info(
      { reqId: c.get('requestId'), method: c.req.method, path: c.req.path, status: c.res.status, ms: Number((performance.now() - started).toFixed(2)) },
      'request',
    );
  });
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
    }),
  );
  if (deps.corsOrigin) {
    const allow = cors({ origin: deps.corsOrigin === '*' ? '*' : deps.corsOrigin.split(',').map((o) => o.trim()), allowMethods: ['GET'] });
    app.use('/search', (c, next) => (c.req.method === 'GET' || c.req.method === 'OPTIONS' ? allow(c, next) : next()));
  }
  if (deps.rateLimitPerMinute) {
    app.use(
      '/search',
      rateLimiter({
        windowMs: 60_000,
        limit: deps.rateLimitPerMinute,
        standardHeaders: 'draft-6',
        keyGenerator: (c) => deps.clientAddress?.(c) ?? 'unknown',
        handler: () => {
          throw new AppError('RATE_LIMITED', deps.rateLimitPerMinute!);
        },
      }),
    );
  }

  // One bounded cache per engine: a swapped-in build starts with an empty one, and the old one goes with its engine.
  const caches = new WeakMap<SearchEngine, LRUCache<string, SearchResult>>();
  const cached = (engine: SearchEngine, query: string, k: number, minScore?: number): Promise<SearchResult> => {
    if (!deps.cacheSize) return search(engine, query, k, minScore);
    let cache = caches.get(engine);
    if (!cache) caches.set(engine, (cache = new LRUCache<string, SearchResult>({ max: deps.cacheSize })));
    const key = JSON.stringify([query.replace(/\s+/g, ' '), k, minScore ?? null]);
    const hit = cache.get(key);
    if (hit) return Promise.resolve(hit);
    return search(engine, query, k, minScore).then((result) => {
      cache.set(key, result);
      return result;
    });
  };

  const answer = async (c: Context, query: string, k: number, minScore?: number) => {
    const started = performance.now();
    const engine = deps.engine();
    const result = await withTimeout(cached(engine, query, k, minScore), deps.timeoutMs ?? 0);
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

  const openapi = createOpenApiDocument(deps.limits, Boolean(deps.admin));
  app.get('/', (c) => c.html(searchPage()));
  app.get('/openapi.json', (c) => c.json(openapi));
  app.get('/docs', (c) => c.html(docsPage()));
  for (const [file, type] of [['swagger-ui.css', 'text/css'], ['swagger-ui-bundle.js', 'text/javascript']]) {
    app.get(`/docs/${file}`, async (c) => c.body(new Uint8Array(await swaggerAsset(file)), 200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'max-age=86400' }));
  }
  app.get('/view', async (c) => {
    const req = parseOrThrow(viewRequestSchema, queryParams(c));
    const doc = await deps.readDocument?.(req.source);
    if (!doc) throw new AppError('NOT_FOUND', 'GET', `/view?source=${req.source}`);
    const end = Math.min(req.end, doc.text.length);
    return c.html(documentPage(req.source, doc.text, Math.min(req.start, end), end, doc.changed));
  });

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
