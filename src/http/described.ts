// Each route written once: one call serves its handlers and keeps its description for /openapi.json (openapi.ts),
// side by side, the description naming the very request schemas the handlers check with.
import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { Hono, type Handler, type MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { ERRORS, type ErrorCode } from '../errors.js';
import { errorBodySchema } from './schemas.js';

/** The routes of one module: the router the app mounts, and the description of each route, in the order written. */
export interface Described {
  routes: Hono;
  specs: RouteConfig[];
}

export const described = (): Described => ({ routes: new Hono(), specs: [] });

/**
 * Serves `handlers` for `spec.method` at `at` (the path within the module's router: `/` for the route the router is
 * mounted at, `/*` for a document's path of any depth) and keeps `spec`, whose path is the one clients call.
 */
export function route(api: Described, spec: RouteConfig, at: string, ...handlers: Array<MiddlewareHandler | Handler>): void {
  api.specs.push(spec);
  api.routes.on(spec.method.toUpperCase(), at, ...(handlers as [Handler]));
}

/** A JSON response of `schema`. */
export const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });

/** The error responses a route can give, grouped by status, each listing its codes. */
export function errors(codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERRORS[code].status, [...(byStatus.get(ERRORS[code].status) ?? []), code]);
  return Object.fromEntries([...byStatus].map(([status, list]) => [status, json(errorBodySchema, `Error: ${list.join(', ')}`)]));
}

/** What a route over the index in use can fail with when none can be read. */
export const INDEX_ERRORS: ErrorCode[] = ['INDEX_NOT_READY', 'INDEX_INVALID', 'INDEX_MODEL_MISMATCH', 'DATABASE_UNAVAILABLE'];
