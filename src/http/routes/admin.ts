// /admin/*: routes behind the admin bearer token, compared in constant time. Absent when no token is set.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { AppError } from '../../errors.js';

export interface AdminDeps {
  /** The bearer token /admin/* requires. */
  token: string;
  /** Asks for a rebuild and returns the rebuild status. */
  reindex: () => Record<string, unknown>;
}

export function adminRoutes(admin: AdminDeps): Hono {
  const routes = new Hono();
  const expected = createHash('sha256').update(admin.token).digest();
  routes.use('*', async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const given = /^Bearer (.+)$/i.exec(header)?.[1] ?? '';
    // Digests of equal length compared in constant time, so timing tells nothing about the token.
    if (!timingSafeEqual(createHash('sha256').update(given).digest(), expected)) throw new AppError('UNAUTHORIZED');
    await next();
  });
  routes.post('/reindex', (c) => c.json({ rebuild: admin.reindex() }, 202));
  return routes;
}
