// argv → config → wiring. The only module that listens, exits or prints progress.
import { serve } from '@hono/node-server';
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import { pathToFileURL } from 'node:url';
import { loadConfig, type Config } from './config.js';
import { createEmbedder, type Embedder } from './embedding.js';
import { AppError } from './errors.js';
import { buildIndex } from './indexer.js';
import { createApp } from './server.js';
import { createService } from './service.js';
import { search } from './search.js';

type Flags = Record<string, string | number | boolean | undefined>;

/** CLI flags share the names of their environment keys: --corpus-dir is CORPUS_DIR. */
function configFrom(flags: Flags): Config {
  const overrides: Flags = {};
  for (const [key, value] of Object.entries(flags)) {
    overrides[key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()] = value;
  }
  return loadConfig(overrides);
}

function embedderFor(config: Config): Promise<Embedder> {
  return createEmbedder({
    model: config.EMBED_MODEL,
    modelsDir: config.MODELS_DIR,
    batchSize: config.EMBED_BATCH_SIZE,
    allowRemote: config.ALLOW_REMOTE_MODELS,
    pooling: config.EMBED_POOLING,
    queryPrefix: config.EMBED_QUERY_PREFIX,
    passagePrefix: config.EMBED_PASSAGE_PREFIX,
  });
}

function log(event: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
}

async function runBuild(flags: Flags): Promise<void> {
  const config = configFrom(flags);
  const embedder = await embedderFor(config);
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar({ format: 'embedding [{bar}] {value}/{total} texts  {eta_formatted} left', stream: process.stderr }, cliProgress.Presets.shades_classic)
    : null;
  let lastLogged = 0;
  const result = await buildIndex(embedder, {
    corpusDir: config.CORPUS_DIR,
    indexDir: config.INDEX_DIR,
    chunking: { sentences: config.CHUNK_SENTENCES, overlap: config.CHUNK_OVERLAP, maxTokens: config.CHUNK_MAX_TOKENS },
    hnsw: { M: config.HNSW_M, efConstruction: config.HNSW_EF_CONSTRUCTION },
    onProgress: (done, total) => {
      if (bar) {
        if (done === 0) bar.start(total, 0);
        else bar.update(done);
      } else if (done === total || done - lastLogged >= 5000) {
        lastLogged = done;
        log('build.progress', { done, total });
      }
    },
  });
  bar?.stop();
  await embedder.dispose();
  const m = result.manifest;
  process.stdout.write(
    `Indexed ${m.documents.length} document(s): ${m.passages} passages, ${m.vectors} vectors (${m.dimension}-d, ${m.modelId}) in ${(m.buildMs / 1000).toFixed(1)} s → ${result.dir}\n`,
  );
}

async function runServe(flags: Flags): Promise<void> {
  const config = configFrom(flags);
  const service = await createService(config);
  const ready = (() => {
    try {
      service.engine();
      return true;
    } catch (err) {
      log('index.unavailable', { code: (err as AppError).code, message: (err as Error).message });
      return false;
    }
  })();
  const app = createApp({
    engine: () => service.engine(),
    health: () => service.health(),
    limits: { maxQueryChars: config.MAX_QUERY_CHARS, defaultK: config.SEARCH_DEFAULT_K, maxK: config.SEARCH_MAX_K, maxBodyBytes: config.MAX_BODY_BYTES },
    onInternalError: (err) => log('request.error', { error: err instanceof Error ? { name: err.name, message: err.message, code: (err as AppError).code } : String(err) }),
  });
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    log('server.listening', { url: `http://${config.HOST}:${info.port}`, indexReady: ready });
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

async function runQuery(question: string, flags: Flags & { k?: string; json?: boolean }): Promise<void> {
  const { k, json, ...rest } = flags;
  const config = configFrom(rest);
  const service = await createService(config);
  const result = await search(service.engine(), question, Number(k ?? config.SEARCH_DEFAULT_K));
  await service.close();
  if (json) {
    process.stdout.write(`${JSON.stringify({ query: question, hits: result.hits }, null, 2)}\n`);
    return;
  }
  const color = process.stdout.isTTY;
  const mark = (s: string) => (color ? `\x1b[1;33m${s}\x1b[0m` : `[${s}]`);
  result.hits.forEach((h, i) => {
    const text = h.text.slice(0, h.highlight.start) + mark(h.highlight.text) + h.text.slice(h.highlight.end);
    process.stdout.write(`${i + 1}. ${h.source}:${h.start}-${h.end}  score ${h.score.toFixed(3)}\n   ${text.replace(/\s+/g, ' ')}\n\n`);
  });
  if (!result.hits.length) process.stdout.write('No passage matches.\n');
}

const common = (cmd: Command) =>
  cmd
    .addOption(new Option('--corpus-dir <dir>', 'folder of .txt/.md documents (CORPUS_DIR)'))
    .addOption(new Option('--index-dir <dir>', 'where the index is kept (INDEX_DIR)'))
    .addOption(new Option('--models-dir <dir>', 'where models are kept (MODELS_DIR)'))
    .addOption(new Option('--embed-model <id>', 'use-lite, a transformers.js model id, or a model folder (EMBED_MODEL)'));

export function createProgram(): Command {
  const program = new Command('passage-search').description('Semantic search over your own documents, offline.').showHelpAfterError();
  common(program.command('build').description('build the index of the corpus folder')).action((flags) => runBuild(flags));
  common(program.command('serve').description('serve /search over HTTP'))
    .addOption(new Option('--port <port>', 'port to listen on (PORT)'))
    .addOption(new Option('--host <host>', 'address to listen on (HOST)'))
    .action((flags) => runServe(flags));
  common(program.command('query').description('answer one question from the built index, without a server'))
    .argument('<question>', 'the question, in plain language')
    .option('-k, --k <k>', 'how many passages')
    .option('--json', 'print JSON instead of text')
    .action((question, flags) => runQuery(question, flags));
  return program;
}

export async function main(argv = process.argv): Promise<void> {
  try {
    await createProgram().parseAsync(argv);
  } catch (err) {
    const code = err instanceof AppError ? err.code : 'INTERNAL';
    process.stderr.write(`error ${code}: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
