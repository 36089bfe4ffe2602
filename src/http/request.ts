// Reading a request: its query string and JSON body checked against a schema, and a deadline for its work.
import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError } from '../errors.js';

/** The value `schema` makes of `value`; throws INVALID_REQUEST listing every issue by path. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  throw new AppError('INVALID_REQUEST', issues);
}

/**
 * Query parameters as an object; a parameter given twice becomes an array, which the schema refuses. A parameter given
 * empty (or as spaces) is INVALID_REQUEST, never read as 0 or as absent.
 */
export function queryParams(c: Context): Record<string, string | string[]> {
  const all = c.req.queries();
  const empty = Object.entries(all).filter(([, values]) => values.some((v) => !v.trim()));
  if (empty.length)
    throw new AppError(
      'INVALID_REQUEST',
      empty.map(([key]) => ({ path: key, message: 'must not be empty' })),
    );
  return Object.fromEntries(Object.entries(all).map(([key, values]) => [key, values.length === 1 ? values[0] : values]));
}

/** The JSON body; throws UNSUPPORTED_MEDIA_TYPE for another content type and MALFORMED_JSON for bad JSON. */
export async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) throw new AppError('UNSUPPORTED_MEDIA_TYPE');
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('MALFORMED_JSON');
  }
}

/**
 * Runs `work` with a signal that is aborted after `ms` (0: never), and rejects with REQUEST_TIMEOUT then: the work
 * hears the signal and stops (a question still waiting for the model leaves its queue).
 */
export async function withDeadline<T>(ms: number, work: (signal?: AbortSignal) => Promise<T>): Promise<T> {
  if (!ms) return work();
  const controller = new AbortController();
  const timeout = new AppError('REQUEST_TIMEOUT', ms);
  // The timer cannot fire while a stage holds the event loop: the work also compares the clock with the deadline
  // between its stages (see search/deadline.ts).
  Object.assign(controller.signal, { deadline: performance.now() + ms, timeout });
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(timeout);
      reject(timeout);
    }, ms);
  });
  const running = work(controller.signal);
  // The work's own rejection after the deadline is the abort it was told of: already answered.
  running.catch(() => undefined);
  return Promise.race([running, late]).finally(() => clearTimeout(timer));
}
