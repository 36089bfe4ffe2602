// GET /health: whether an index is loaded, which build, and the rebuild state. Always 200 while the process runs.
import { Hono } from 'hono';

export interface HealthRouteDeps {
  /** Throws when no index is loaded. */
  engine: () => unknown;
  /** What /health reports beyond the status. */
  health: () => Record<string, unknown>;
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
    return c.json({ status, ...deps.health() });
  });
  return routes;
}
