// /admin/*: routes behind the admin bearer token, compared in constant time, a client's failed attempts throttled.
// Absent when no token is set.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { LRUCache } from 'lru-cache';
import { AppError } from '../../errors.js';
import { described, errors, json, route, type Described } from '../described.js';
import { reindexResponseSchema } from '../schemas.js';

export interface AdminDeps {
  /** The bearer token /admin/* requires. */
  token: string;
  /** Asks for a rebuild and returns the rebuild status. */
  reindex: () => Record<string, unknown>;
}

/** Wrong tokens a client may send in a window before it is refused outright until the window ends. */
export const ADMIN_FAILURES_ALLOWED = 10;
const WINDOW_MS = 60_000;

export interface AdminOptions {
  /** The client's address, whose failed attempts are counted. */
  clientAddress?: (c: Context) => string;
  /** Told of each failed attempt (for the log). */
  onFailure?: (client: string, failures: number) => void;
}

/**
 * Middleware that lets a request through only with the bearer `token`; throws UNAUTHORIZED otherwise, and RATE_LIMITED
 * once a client has sent ADMIN_FAILURES_ALLOWED wrong tokens within a minute.
 */
export function adminGuard(token: string, options: AdminOptions = {}): MiddlewareHandler {
  const expected = createHash('sha256').update(token).digest();
  const failures = new LRUCache<string, { count: number; since: number }>({ max: 10_000 });
  return async (c, next) => {
    const client = options.clientAddress?.(c) ?? 'unknown';
    const seen = failures.get(client);
    const live = seen && Date.now() - seen.since < WINDOW_MS ? seen : undefined;
    if (live && live.count >= ADMIN_FAILURES_ALLOWED) {
      c.header('retry-after', String(Math.ceil((live.since + WINDOW_MS - Date.now()) / 1000)));
      throw new AppError('RATE_LIMITED', ADMIN_FAILURES_ALLOWED);
    }
    const header = c.req.header('authorization') ?? '';
    const given = /^Bearer (.+)$/i.exec(header)?.[1] ?? '';
    // Digests of equal length compared in constant time, so timing tells nothing about the token.
    if (!timingSafeEqual(createHash('sha256').update(given).digest(), expected)) {
      const count = (live?.count ?? 0) + 1;
      failures.set(client, { count, since: live?.since ?? Date.now() });
      options.onFailure?.(client, count);
      throw new AppError('UNAUTHORIZED');
    }
    await next();
  };
}

/** /admin/*, behind `guard` (one adminGuard for every route the token opens, so failed attempts count once). */
export function adminRoutes(admin: AdminDeps, guard: MiddlewareHandler): Described {
  const api = described();
  api.routes.use('*', guard);
  route(
    api,
    {
      method: 'post',
      path: '/admin/reindex',
      operationId: 'reindex',
      tags: ['operations'],
      summary: 'Rebuild the index in the background and swap it in',
      security: [{ adminToken: [] }],
      responses: { 202: json(reindexResponseSchema, 'Rebuild asked for'), ...errors(['UNAUTHORIZED']) },
    },
    '/reindex',
    (c) => c.json({ rebuild: admin.reindex() }, 202),
  );
  return api;
}
