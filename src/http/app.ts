// createApp(deps) → the Hono app: middleware for every route, then the route modules, each given only what it needs.
// It never listens and never reads the environment: the serve command does both.
import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { rateLimiter } from 'hono-rate-limiter';
import { AppError, errorBody } from '../errors.js';
import type { SearchEngine } from '../search/engine.js';
import { adminGuard, adminRoutes, type AdminDeps } from './routes/admin.js';
import { documentRoutes, type DocumentRouteDeps } from './routes/documents.js';
import { operationRoutes } from './routes/health.js';
import { pageRoutes, type ViewedDocument } from './routes/pages.js';
import { searchRoutes } from './routes/search.js';
import type { Metrics } from './metrics.js';
import { createOpenApiDocument } from './openapi.js';
import type { AppLimits } from './schemas.js';

export type { AppLimits, AdminDeps };

export interface AppDeps {
  /** The engine to answer with; throws INDEX_NOT_READY (or another AppError) when there is none. */
  engine: () => SearchEngine;
  /** What /health reports beyond the status. */
  health: () => Record<string, unknown>;
  limits: AppLimits;
  /** Reads an indexed document for /view; null when the index has no such document. */
  readDocument?: (source: string) => Promise<ViewedDocument | null>;
  /** What /ready asks beyond a loaded index: that the index's store answers (throws DATABASE_UNAVAILABLE when not). */
  ready?: () => Promise<unknown>;
  /** The admin routes; without them, /admin/* does not exist. */
  admin?: AdminDeps;
  /** The document API: listing always; putting and deleting with `writer` and the admin token. Absent: no /documents. */
  documents?: Omit<DocumentRouteDeps, 'guard'>;
  /** Called with unexpected errors (5xx), for logging. */
  onInternalError?: (err: unknown) => void;
  /** Structured request log (pino or alike); one line a request, with its id. Off when absent. Probes (/health,
   * /ready, /metrics) are logged at debug. */
  logger?: { info: (fields: object, msg: string) => void; debug?: (fields: object, msg: string) => void };
  /** Prometheus metrics, served at /metrics; no such route when absent. */
  metrics?: Metrics;
  /** Origins allowed to call /search (GET, and POST with its preflight) from a browser ('*' for any); other routes send no CORS headers. */
  corsOrigin?: string;
  /** Longest a search may take before it is answered with REQUEST_TIMEOUT (and its work stopped); 0 for no limit. */
  timeoutMs?: number;
  /** Searches per minute per client address; 0 or absent for no limit. */
  rateLimitPerMinute?: number;
  /** Answers kept per index build for repeated questions; 0 or absent for none. */
  cacheSize?: number;
  /** The client's address, for rate limiting (the socket's on Node). */
  clientAddress?: (c: Context) => string;
  /** The MCP endpoint's routes (src/mcp/http.ts), mounted at /mcp under the search's rate limit; absent: no /mcp. */
  mcp?: Hono;
}

/** Routes that load balancers and scrapers call all day: logged at debug when they succeed. */
const PROBES = new Set(['/health', '/ready', '/metrics']);

/** Errors answered before the request's body is read. */
const UNREAD_BODY = new Set<AppError['code']>(['PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'DOCUMENT_TOO_LARGE']);

/** Errors a client should retry after a moment, and how many seconds to wait. */
const RETRY_AFTER: Partial<Record<AppError['code'], number>> = {
  OVERLOADED: 1,
  REQUEST_TIMEOUT: 1,
  INDEX_NOT_READY: 5,
  BUILD_IN_PROGRESS: 5,
  DATABASE_UNAVAILABLE: 2,
};

/** Request ids, the request log, and the security headers of every response. */
function useCommon(app: Hono, deps: AppDeps): void {
  app.use('*', requestId());
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const ms = performance.now() - started;
    // Routes as declared, never the raw path: a label per route, not per URL someone makes up.
    deps.metrics?.request(c.req.routePath === '/*' ? 'unmatched' : c.req.routePath, c.req.method, c.res.status, ms / 1000);
    const fields = { reqId: c.get('requestId'), method: c.req.method, path: c.req.path, status: c.res.status, ms: Number(ms.toFixed(2)) };
    if (PROBES.has(c.req.path) && c.res.status < 400) deps.logger?.debug?.(fields, 'request');
    else deps.logger?.info(fields, 'request');
  });
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
    }),
  );
}

/** CORS on GET /search only, and the per-client rate limit of /search (and /mcp). */
function useSearchGuards(app: Hono, deps: AppDeps): void {
  if (deps.corsOrigin) {
    const allow = cors({
      origin: deps.corsOrigin === '*' ? '*' : deps.corsOrigin.split(',').map((o) => o.trim()),
      allowMethods: ['GET', 'POST'],
      allowHeaders: ['content-type'],
    });
    app.use('/search', (c, next) => (['GET', 'POST', 'OPTIONS'].includes(c.req.method) ? allow(c, next) : next()));
  }
  if (deps.rateLimitPerMinute) {
    // One count per client for /search and /mcp alike: a search through MCP is a search.
    const limit = rateLimiter({
      windowMs: 60_000,
      limit: deps.rateLimitPerMinute,
      standardHeaders: 'draft-6',
      keyGenerator: (c) => deps.clientAddress?.(c) ?? 'unknown',
      handler: () => {
        throw new AppError('RATE_LIMITED', deps.rateLimitPerMinute!);
      },
    });
    app.use('/search', limit);
    if (deps.mcp) app.use('/mcp', limit);
  }
}

/** The methods the app's routes take on `path` (HEAD with GET), from its own route table. */
function allowedMethods(app: Hono, path: string): string[] {
  const methods = new Set<string>();
  for (const r of app.routes) {
    if (r.method === 'ALL' || r.path.includes('*') || r.path.includes(':')) continue;
    if (r.path === path) methods.add(r.method);
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

/** Builds the HTTP API over the given dependencies. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  useCommon(app, deps);
  useSearchGuards(app, deps);
  // Each module's routes, and the description of each, which /openapi.json lists in this order.
  const search = searchRoutes(deps);
  const operations = operationRoutes(deps);
  const onFailure = (client: string, failures: number) => deps.logger?.info({ event: 'admin.unauthorized', client, failures }, 'admin.unauthorized');
  const guard = deps.admin ? adminGuard(deps.admin.token, { clientAddress: deps.clientAddress, onFailure }) : undefined;
  const admin = deps.admin ? adminRoutes(deps.admin, guard!) : null;
  const documents = deps.documents ? documentRoutes({ ...deps.documents, guard }) : null;
  let openapi: unknown;
  const pages = pageRoutes({ openapi: () => (openapi ??= createOpenApiDocument(described.flatMap((d) => d.specs))), readDocument: deps.readDocument });
  const described = [search, operations, ...(admin ? [admin] : []), ...(documents ? [documents] : []), pages];
  app.route('/search', search.routes);
  app.route('/', operations.routes);
  app.route('/', pages.routes);
  if (deps.mcp) app.route('/mcp', deps.mcp);
  if (documents) app.route('/documents', documents.routes);
  if (admin) app.route('/admin', admin.routes);

  // A known path with another method: 405 with the methods it takes, as the README promises.
  app.all('*', (c, next) => {
    const allow = allowedMethods(app, c.req.path);
    if (!allow.length || allow.includes(c.req.method)) return next();
    c.header('allow', allow.join(', '));
    throw new AppError('METHOD_NOT_ALLOWED', c.req.method, c.req.path);
  });
  app.notFound((c) => c.json(errorBody(new AppError('NOT_FOUND', c.req.method, c.req.path)), 404));
  app.onError((err, c) => {
    if (err instanceof AppError) {
      if (err.status >= 500) deps.onInternalError?.(err);
      const retry = RETRY_AFTER[err.code];
      if (retry) c.header('retry-after', String(retry));
      // Answered before the body was read: the rest of it is still on the connection, so the connection ends here
      // rather than the client's next request being read from the middle of this one's body.
      if (UNREAD_BODY.has(err.code)) c.header('connection', 'close');
      return c.json(errorBody(err, true), err.status as 400);
    }
    // A client gone mid-request (its body cut short) is no fault of the server's: counted as 499, not logged as an error.
    if (c.req.raw.signal.aborted || (err as NodeJS.ErrnoException).code === 'ECONNRESET' || (err as Error).message === 'aborted') {
      return c.json(errorBody(new AppError('CLIENT_CLOSED')), 499 as 400);
    }
    deps.onInternalError?.(err);
    return c.json(errorBody(new AppError('INTERNAL')), 500);
  });
  return app;
}
