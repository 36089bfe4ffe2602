// `serve`: the HTTP server over the current index, stopped cleanly by SIGTERM or SIGINT.
import { serve } from '@hono/node-server';
import type { AppError } from '../errors.js';
import { createApp } from '../server.js';
import { createService } from '../service.js';
import { configFrom, log, type Flags } from './shared.js';

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
  const app = createApp({
    engine: () => service.engine(),
    health: () => service.health(),
    limits: { maxQueryChars: config.MAX_QUERY_CHARS, defaultK: config.SEARCH_DEFAULT_K, maxK: config.SEARCH_MAX_K, maxBodyBytes: config.MAX_BODY_BYTES },
    onInternalError: (err) =>
      log('request.error', { error: err instanceof Error ? { name: err.name, message: err.message, code: (err as AppError).code } : String(err) }),
  });
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    log('server.listening', { url: `http://${config.HOST}:${info.port}`, indexReady });
  });
  const stop = (signal: string) => {
    log('server.stopping', { signal });
    server.close(async () => {
      await service.close();
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
