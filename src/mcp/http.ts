// The Streamable HTTP entry point: POST /mcp, stateless. Each request gets a server of its own from createMcpServer
// and a transport of its own, answered with plain JSON and closed: no session lives between requests, so any server
// behind a load balancer can answer any request, and a restart loses nothing. The SDK's transport checks the Host
// and Origin headers against the server's own addresses (DNS-rebinding protection). A request that carries a bearer
// token must carry the admin token (checked as /admin/* checks it), and only then are the tools that change the index
// registered for it.
import os from 'node:os';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { Hono, type Context } from 'hono';
import { adminGuard, type AdminOptions } from '../http/routes/admin.js';
import { createMcpServer, type McpAdminDeps, type McpDeps, type Tool } from './server.js';

export interface McpHttpOptions extends AdminOptions {
  /** What every request's server is built over; `admin` is decided per request. */
  deps: Omit<McpDeps, 'admin'>;
  /** The Host header values the endpoint answers to (see allowedHostsFor); read for every request, so a port the
   * server learns only once it listens counts. */
  allowedHosts: () => string[];
  /** The admin token and what the tools that change the index are given; absent: no such tools, at all. */
  admin?: { token: string; deps: McpAdminDeps };
  /** The tools registered for a request with the admin token; the server's ADMIN_TOOLS when absent. */
  adminTools?: ReadonlyArray<Tool<McpAdminDeps>>;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];
const ANY_ADDRESS = ['0.0.0.0', '[::]'];

/**
 * The Host header values (name or address, with the port) a server listening on `host`:`port` answers to: on a
 * loopback address, the loopback names; on every address (0.0.0.0, ::), those and the machine's own name and
 * addresses; else `host` alone. A name that reaches the server otherwise (a proxy's) is refused.
 */
export function allowedHostsFor(host: string, port: number, interfaces = os.networkInterfaces(), hostname = os.hostname()): string[] {
  const bracketed = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h).toLowerCase();
  const own = Object.values(interfaces).flatMap((list) => (list ?? []).map((i) => i.address));
  const names = ANY_ADDRESS.includes(bracketed(host)) ? [...LOOPBACK, hostname, ...own] : LOOPBACK.includes(bracketed(host)) ? LOOPBACK : [host];
  // A client leaves the port out of Host when it is the scheme's default.
  return [...new Set(names.map(bracketed).flatMap((h) => (port === 80 ? [`${h}:${port}`, h] : [`${h}:${port}`])))];
}

/** The /mcp routes, to mount on the HTTP app (`app.route('/mcp', …)`). Another method than POST is the app's 405. */
export function mcpRoutes(options: McpHttpOptions): Hono {
  const routes = new Hono();
  const { admin } = options;
  const guard = admin && adminGuard(admin.token, options);
  const withToken = (c: Context) => Boolean(guard && c.req.header('authorization'));
  routes.post(
    '/',
    (c, next) => (withToken(c) ? guard!(c, next) : next()),
    async (c) => {
      const hosts = options.allowedHosts();
      const server = createMcpServer({ ...options.deps, admin: withToken(c) ? admin!.deps : undefined }, options.adminTools);
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
        enableDnsRebindingProtection: true,
        allowedHosts: hosts,
        allowedOrigins: hosts.flatMap((h) => [`http://${h}`, `https://${h}`]),
        maxRequestBodySize: options.deps.limits.maxBodyBytes,
      });
      await server.connect(transport);
      try {
        // In JSON mode the response is whole once this resolves: nothing is left to send when the server closes.
        return await transport.handleRequest(c.req.raw);
      } finally {
        await server.close();
      }
    },
  );
  return routes;
}
