// `serve`: the HTTP server over the current index, with live rebuilds (watch, admin route). SIGTERM or SIGINT stops
// it: no new connections, idle ones closed, answers marked `Connection: close`, in-flight requests given
// SHUTDOWN_GRACE_MS, the rebuild child stopped and no queued one started; then it returns, and the CLI exits.
import { once } from 'node:events';
import path from 'node:path';
import type { Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { requestLimits, invalid, type Config } from '../config.js';
import type { Duplex } from 'node:stream';
import { AppError, errorBody } from '../errors.js';
import { createApp } from '../http/app.js';
import { createMetrics } from '../http/metrics.js';
import { allowedHostsFor } from '../mcp/http.js';
import { createReindexer } from '../live/reindexer.js';
import { readCorpus } from '../ingest/corpus.js';
import { createService, type Service } from '../live/service.js';
import { storeFor } from '../live/store-for.js';
import { watchCorpus } from '../live/watcher.js';
import { changesInWorker } from '../live/changes-worker.js';
import { createLiveWriter } from '../live/writer.js';
import type { Embedder } from '../model/embedder.js';
import { mcpEndpoint } from './mcp.js';
import { configFrom, log, logger, type Flags } from './shared.js';

export interface RunningServer {
  url: string;
  /** Stops everything the server started; resolves when all of it has ended. */
  close(): Promise<void>;
}

/** Node's own limits on slow clients, and the one JSON error body for what its HTTP parser refuses. */
function hardenServer(server: Server): void {
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || (err as { code?: string }).code === 'ECONNRESET') return socket.destroy();
    const error =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? new AppError('HEADERS_TOO_LARGE')
        : new AppError('BAD_HTTP', (err.code ?? 'malformed').replace(/^HPE_/, '').toLowerCase());
    const body = JSON.stringify(errorBody(error));
    const reason = error.status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
    socket.end(
      `HTTP/1.1 ${error.status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}

/**
 * What changes the index of a running server: the background rebuild in a child process, this server's own changes
 * (documents over the API, the folder's edits made in place with its model), and the folder's watch.
 */
function startChanges(config: Config, service: Service) {
  const metrics = config.METRICS
    ? createMetrics({
        index: () => service.health().index as { build: string; passages: number; documents: number } | null,
        modelQueue: () => service.embedder.pendingQueries?.() ?? 0,
      })
    : undefined;
  let rebuildStarted = 0;
  // Rebuilds counted and timed from the reindexer's own events.
  const reindexLog = (event: string, fields?: Record<string, unknown>) => {
    if (event === 'reindex.start') (rebuildStarted = performance.now()), metrics?.rebuild('started');
    if (event === 'reindex.done' || event === 'reindex.failed')
      metrics?.rebuild(event === 'reindex.done' ? 'done' : 'failed', (performance.now() - rebuildStarted) / 1000);
    log(event, fields);
  };
  const reindexer = createReindexer({
    config,
    reload: () => service.reload(),
    debounceMs: config.WATCH_DEBOUNCE_MS,
    timeoutMs: config.BUILD_TIMEOUT_MS,
    log: reindexLog,
  });
  // This server's own changes: documents over the API, and the folder's edits, made in place with its model.
  const writer = createLiveWriter({
    config,
    store: service.store,
    embedder: async () => service.embedder as Embedder,
    // In a worker thread with its own model: a change's steps do not wait behind the searches being answered.
    runner: changesInWorker(config),
    reload: () => service.reload(),
    rebuild: (reason) => reindexer.request(reason),
    debounceMs: config.WATCH_DEBOUNCE_MS,
    log,
  });
  const watcher = config.WATCH
    ? watchCorpus(config.CORPUS_DIR, { request: (reason) => writer.requestSync(reason) }, { log, checkMs: config.WATCH_CHECK_MS })
    : null;
  // Edits made while no server watched are not lost: the folder is synced at start.
  if (config.WATCH) writer.requestSync('start');
  return { metrics, reindexer, writer, watcher };
}

/**
 * Says (a warning line, and in the log) when the index in use was not built from the configured corpus folder as it
 * is now: another folder, or this one edited since. The folder's files are hashed, not read by their readers.
 */
async function warnIfOtherCorpus(config: Config, service: Service): Promise<void> {
  try {
    const { manifest } = service.engine().reader;
    const dir = path.resolve(config.CORPUS_DIR);
    if (manifest.corpusDir && manifest.corpusDir !== dir) {
      log('index.other-corpus', { index: manifest.corpusDir, configured: dir });
      process.stdout.write(
        `warning: the index was built from ${manifest.corpusDir}, not from CORPUS_DIR ${dir}: run \`npm run build:index\` to index ${dir}\n`,
      );
      return;
    }
    if (!manifest.corpusDir) return; // documents put over the API only: no folder to compare
    const corpus = await readCorpus(dir);
    if (corpus.hash === manifest.corpusHash) return;
    log('index.corpus-changed', { corpus: dir, builtAt: manifest.builtAt });
    process.stdout.write(`warning: ${dir} has changed since the index was built (${manifest.builtAt}): run \`npm run build:index\`, or serve with --watch\n`);
  } catch (err) {
    log('index.corpus-check.failed', { message: (err as Error).message });
  }
}

/** The app of a running server: its routes over the service, and its changes' state in /health. */
function appOf(config: Config, service: Service, changes: ReturnType<typeof startChanges>, mcpHosts: () => string[]) {
  const { metrics, reindexer, writer, watcher } = changes;
  return createApp({
    engine: () => service.engine(),
    health: () => ({
      ...service.health(),
      rebuild: reindexer.status(),
      ...(watcher ? { watch: watcher.state() } : {}),
      ...(watcher?.lastError() ? { watchError: watcher.lastError() } : {}),
      ...(writer.lastError() ? { syncError: writer.lastError() } : {}),
    }),
    readDocument: (source) => service.readDocument(source),
    ready: () => service.store.currentName(), // not ready while the store cannot be read (a database down)
    documents: {
      current: () => {
        const { reader } = service.engine();
        return { index: reader.name, documents: reader.manifest.documents };
      },
      writer: config.ADMIN_TOKEN ? { put: (source, bytes, type) => writer.put(source, bytes, type), remove: (source) => writer.remove(source) } : undefined,
      maxBytes: config.MAX_DOCUMENT_BYTES,
    },
    limits: requestLimits(config),
    admin: config.ADMIN_TOKEN ? { token: config.ADMIN_TOKEN, reindex: () => (reindexer.request('admin'), { ...reindexer.status() }) } : undefined,
    onInternalError: (err) =>
      logger.error({
        event: 'request.error',
        err: err instanceof Error ? { name: err.name, message: err.message, code: (err as AppError).code, stack: err.stack } : String(err),
      }),
    logger: logger.child({ event: 'request' }),
    metrics,
    corsOrigin: config.CORS_ORIGIN === 'none' ? undefined : config.CORS_ORIGIN,
    timeoutMs: config.REQUEST_TIMEOUT_MS,
    cacheSize: config.QUERY_CACHE_SIZE,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    clientAddress: (c) => getConnInfo(c).remote.address ?? 'unknown',
    mcp: mcpEndpoint(config, service, mcpHosts, writer),
  });
}

/** PORT_IN_USE, or CONFIG_INVALID naming HOST, for a failure to listen; other errors as they are. */
function listenFailure(config: Config, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new AppError('PORT_IN_USE', config.PORT, config.HOST);
  if (code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL' || code === 'EAI_AGAIN') {
    return invalid([{ path: 'HOST', message: `${config.HOST} is not an address of this machine (${code})` }]);
  }
  return err;
}

/** Says at once, before the model and the index load, that the address cannot be listened on. */
async function checkAddress(config: Config): Promise<void> {
  if (config.PORT === 0) return;
  const probe = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(config.PORT, config.HOST, resolve));
  } catch (err) {
    throw listenFailure(config, err);
  } finally {
    await new Promise((resolve) => probe.close(resolve));
  }
}

/** Starts the server of `config`; resolves once it listens. Throws when the model cannot be loaded. */
export async function startServer(config: Config): Promise<RunningServer> {
  await checkAddress(config);
  const service = await createService(
    config,
    undefined,
    storeFor(config, (err) => log('database.error', { message: err.message })),
  );
  let indexReady = true;
  try {
    service.engine();
  } catch {
    indexReady = false; // said once by the first reload below, with its reason
  }
  const changes = startChanges(config, service);
  const { reindexer, writer, watcher } = changes;
  // The port is known once the server listens (PORT=0 picks one): /mcp reads the hosts it answers to per request.
  let mcpHosts: string[] = [];
  const app = appOf(config, service, changes, () => mcpHosts);
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }) as Server;
  try {
    await once(server, 'listening');
  } catch (err) {
    await Promise.all([watcher?.close(), reindexer.close(), writer.close(), service.close()]);
    throw listenFailure(config, err);
  }
  hardenServer(server);
  let stopping = false;
  // Once stopping, every answer tells its client to close the connection instead of sending another request on it.
  server.on('request', (_req, res) => stopping && res.setHeader('connection', 'close'));
  const { port } = server.address() as AddressInfo;
  mcpHosts = allowedHostsFor(config.HOST, port);
  const url = `http://${config.HOST}:${port}`;
  await service.follow(config.INDEX_POLL_MS, log);
  if (!config.WATCH && indexReady) void warnIfOtherCorpus(config, service);
  log('server.listening', { url, indexReady, watch: config.WATCH, admin: Boolean(config.ADMIN_TOKEN) });
  process.stdout.write(`Serving ${url}/ (the search page; the API at ${url}/docs)${indexReady ? '' : ' — no index yet: run `npm run build:index`'}\n`);

  let closing: Promise<void> | null = null;
  const close = async () => {
    stopping = true;
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const grace = setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_GRACE_MS);
    await Promise.all([watcher?.close(), reindexer.close(), writer.close(), drained]);
    clearTimeout(grace);
    await service.close();
  };
  return { url, close: () => (closing ??= close()) };
}

export async function runServe(flags: Flags): Promise<void> {
  const config = configFrom(flags);
  const running = await startServer(config);
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log('server.stopping', { signal });
  await running.close();
  log('server.stopped', { signal });
}
