// `mcp`: the MCP server on stdin and stdout, for an agent that starts it as its child process. Standard output carries
// the protocol and nothing else: the log goes to stderr, and so does whatever a library prints with console.log. The
// command ends when the client closes stdin, or on SIGTERM or SIGINT. Also the /mcp routes that `serve` mounts.
import { createRequire } from 'node:module';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Hono } from 'hono';
import { requestLimits, type Config } from '../config.js';
import type { AppError } from '../errors.js';
import type { Service } from '../live/service.js';
import { mcpRoutes } from '../mcp/http.js';
import { createMcpServer, type McpDeps } from '../mcp/server.js';
import { serveStdio } from '../mcp/stdio.js';
import type { DocumentWriter } from '../mcp/tools/put-document.js';
import { createLiveWriter } from '../live/writer.js';
import type { Embedder } from '../model/embedder.js';
import { configFrom, log, logger, type Flags } from './shared.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** What the MCP tools answer with, from the config and the running service. */
export function mcpDepsOf(config: Config, service: Service): McpDeps {
  return {
    engine: () => service.engine(),
    readDocument: (source) => service.readDocument(source),
    limits: requestLimits(config),
    timeoutMs: config.REQUEST_TIMEOUT_MS,
    version,
    onInternalError: (err) =>
      logger.error({
        event: 'mcp.error',
        err: err instanceof Error ? { name: err.name, message: err.message, code: (err as AppError).code, stack: err.stack } : String(err),
      }),
  };
}

/** The /mcp routes `serve` mounts: the tools over `service`, those that change the index behind ADMIN_TOKEN. */
export function mcpEndpoint(config: Config, service: Service, allowedHosts: () => string[], documents: DocumentWriter): Hono {
  return mcpRoutes({
    deps: mcpDepsOf(config, service),
    allowedHosts,
    admin: config.ADMIN_TOKEN ? { token: config.ADMIN_TOKEN, deps: { documents } } : undefined,
    clientAddress: (c) => getConnInfo(c).remote.address ?? 'unknown',
    onFailure: (client, failures) => log('admin.unauthorized', { client, failures, path: '/mcp' }),
  });
}

export async function runMcp(flags: Flags): Promise<void> {
  // Before the model's libraries are imported (hence the import here): their console.log would break the protocol.
  console.log = console.info = console.debug = console.error;
  const config = configFrom(flags);
  const { createService } = await import('../live/service.js');
  const service = await createService(config);
  await service.follow(config.INDEX_POLL_MS, log);
  // Over stdio the client is whoever started this process: a configured admin token is consent enough. Its changes
  // are made here, with the model already loaded; a change needing a whole rebuild is refused with its reason.
  const writer = createLiveWriter({
    config,
    store: service.store,
    embedder: async () => service.embedder as Embedder,
    reload: () => service.reload(),
    rebuild: (reason) => log('mcp.rebuild.needed', { reason }),
  });
  const connection = await serveStdio(createMcpServer({ ...mcpDepsOf(config, service), admin: config.ADMIN_TOKEN ? { documents: writer } : undefined }));
  log('mcp.listening', { transport: 'stdio', admin: Boolean(config.ADMIN_TOKEN), index: (service.health().index as { build: string } | null)?.build ?? null });
  const reason = await new Promise<string>((resolve) => {
    void connection.closed.then(() => resolve('stdin closed'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log('mcp.stopping', { reason });
  await connection.close();
  await writer.close();
  await service.close();
}
