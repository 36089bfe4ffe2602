// GET /health: whether an index is loaded, which build, and the rebuild state. Always 200 while the process runs.
import { Hono } from 'hono';
import { publicMessage } from '../../errors.js';

export interface HealthRouteDeps {
  /** Throws when no index is loaded. */
  engine: () => unknown;
  /** What /health reports beyond the status. */
  health: () => Record<string, unknown>;
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

export function healthRoutes(deps: HealthRouteDeps): Hono {
  const routes = new Hono();
  routes.get('/', (c) => {
    let status = 'ok';
    try {
      deps.engine();
    } catch {
      status = 'no-index';
    }
    return c.json({ status, ...publicHealth(deps.health()) });
  });
  return routes;
}
