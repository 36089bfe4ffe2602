// `serve`: the HTTP server over the current index, with live rebuilds (watch, admin route), stopped cleanly by
// SIGTERM or SIGINT.
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { AppError } from '../errors.js';
import { createReindexer, watchCorpus } from '../reindexer.js';
import { createApp } from '../server.js';
import { createService } from '../service.js';
import { configFrom, log, logger, type Flags } from './shared.js';

export async function runServe(flags: Flags): Promise<void> {
  const config = configFrom(flags);
  const service = await createService(config);
  let indexReady = true;
  try {
    service.engine();
  } catch (err) {
    indexReady = false;
    log('index.unavailable', { code: (err as AppError).code, message: (err as Error).message });
  }
  const reindexer = createReindexer({ config, reload: () => service.reload(), debounceMs: config.WATCH_DEBOUNCE_MS, log });
  const watcher = config.WATCH ? watchCorpus(config.CORPUS_DIR, reindexer) : null;
  const app = createApp({
    engine: () => service.engine(),
    health: () => ({ ...service.health(), rebuild: reindexer.status() }),
    readDocument: (source) => service.readDocument(source),
    limits: { maxQueryChars: config.MAX_QUERY_CHARS, defaultK: config.SEARCH_DEFAULT_K, maxK: config.SEARCH_MAX_K, maxBodyBytes: config.MAX_BODY_BYTES },
    admin: config.ADMIN_TOKEN
      ? {
          token: config.ADMIN_TOKEN,
          reindex: () => {
            reindexer.request('admin');
            return { ...reindexer.status() };
          },
        }
      : undefined,
    onInternalError: (err) =>
      logger.error({ event: 'request.error', err: err instanceof Error ? { name: err.name, message: err.message, code: (err as AppError).code, stack: err.stack } : String(err) }),
    logger: logger.child({ event: 'request' }),
    corsOrigin: config.CORS_ORIGIN === 'none' ? undefined : config.CORS_ORIGIN,
    timeoutMs: config.REQUEST_TIMEOUT_MS,
    cacheSize: config.QUERY_CACHE_SIZE,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    clientAddress: (c) => getConnInfo(c).remote.address ?? 'unknown',
  });
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    log('server.listening', { url: `http://${config.HOST}:${info.port}`, indexReady, watch: config.WATCH, admin: Boolean(config.ADMIN_TOKEN) });
  });
  const stop = (signal: string) => {
    log('server.stopping', { signal });
    server.close(async () => {
      await watcher?.close();
      await reindexer.close();
      await service.close();
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
