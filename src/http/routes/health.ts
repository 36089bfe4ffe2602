// GET /health: whether an index is loaded, which build, and the rebuild state. Always 200 while the process runs.
// GET /ready: 200 once an index is loaded and its store answers. GET /metrics: Prometheus's text, when metrics are on.
import { publicMessage } from '../../errors.js';
import type { SearchEngine } from '../../search/engine.js';
import { described, errors, INDEX_ERRORS, json, route, type Described } from '../described.js';
import type { Metrics } from '../metrics.js';
import { healthSchema, readySchema } from '../schemas.js';

export interface HealthRouteDeps {
  /** The engine in use; throws when no index is loaded. */
  engine: () => SearchEngine;
  /** What /health reports beyond the status. */
  health: () => Record<string, unknown>;
  /** What /ready asks beyond a loaded index: that the index's store answers (throws DATABASE_UNAVAILABLE when not). */
  ready?: () => Promise<unknown>;
  /** Prometheus metrics, served at /metrics; no such route when absent. */
  metrics?: Metrics;
}

/**
 * What /health may tell anyone who asks: errors by code and public wording (no folder, address, pid or raw system
 * message; the log has them), a failed rebuild by the code it ended with.
 */
function publicHealth(health: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...health };
  const last = health.lastError as { code: string; message: string } | undefined;
  if (last) out.lastError = { code: last.code, message: publicMessage(last.code) ?? "See the server's log." };
  const rebuild = health.rebuild as { pid?: unknown; lastError: { message: string; code?: string; at: string } | null } | undefined;
  if (rebuild) {
    const { pid: _pid, ...rest } = rebuild;
    const { code, at } = rebuild.lastError ?? {};
    out.rebuild = { ...rest, lastError: rebuild.lastError && { message: code ? `the build failed: ${code}` : "the build failed; see the server's log", at } };
  }
  const sync = health.syncError as { code?: string; at: string } | undefined;
  if (sync)
    out.syncError = {
      ...(sync.code ? { code: sync.code } : {}),
      message: (sync.code && publicMessage(sync.code)) || "the sync of the folder's edits failed; see the server's log",
      at: sync.at,
    };
  return out;
}

/** GET /health, /ready and (with metrics) /metrics: the routes load balancers and scrapers call. */
export function operationRoutes(deps: HealthRouteDeps): Described {
  const api = described();
  route(
    api,
    {
      method: 'get',
      path: '/health',
      operationId: 'health',
      tags: ['operations'],
      summary: 'Liveness: status, model, index version and rebuild state',
      responses: { 200: json(healthSchema, 'Always 200; `status` says whether an index is loaded') },
    },
    '/health',
    (c) => {
      let status = 'ok';
      try {
        deps.engine();
      } catch {
        status = 'no-index';
      }
      return c.json({ status, ...publicHealth(deps.health()) });
    },
  );
  route(
    api,
    {
      method: 'get',
      path: '/ready',
      operationId: 'ready',
      tags: ['operations'],
      summary: 'Readiness: 200 once an index is loaded, 503 until then',
      responses: { 200: json(readySchema, 'Ready, with the build in use'), ...errors(INDEX_ERRORS) },
    },
    '/ready',
    async (c) => {
      const engine = deps.engine();
      await deps.ready?.();
      return c.json({ status: 'ready', build: engine.reader.name });
    },
  );
  const registry = deps.metrics?.registry;
  if (!registry) return api;
  route(
    api,
    {
      method: 'get',
      path: '/metrics',
      operationId: 'metrics',
      tags: ['operations'],
      summary: 'Prometheus metrics (text format)',
      responses: { 200: { description: 'Prometheus text exposition format' } },
    },
    '/metrics',
    async (c) => c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }),
  );
  return api;
}
