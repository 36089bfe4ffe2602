// What every command needs: config from flags and env, the embedder it names, a log line, an up-to-date index.
import cliProgress from 'cli-progress';
import { pino } from 'pino';
import pretty from 'pino-pretty';
import { buildSettings, embedderOptions, loadConfig, settingsGiven, searchSettings, type Config } from '../config.js';
import type { Corpus } from '../ingest/corpus.js';
import type { Embedder } from '../model/embedder.js';
import { buildIndexOf, type BuildOptions } from '../index/build.js';
import type { IndexStore } from '../index/store.js';
import { readerOptions, storeFor } from '../live/store-for.js';
import { createSearchEngine, type SearchEngine } from '../search/engine.js';

export type Flags = Record<string, string | number | boolean | undefined>;

/** CLI flags share the names of their environment keys: --corpus-dir is CORPUS_DIR. */
export function configFrom(flags: Flags): Config {
  const overrides: Flags = {};
  for (const [key, value] of Object.entries(flags)) overrides[key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()] = value;
  const config = loadConfig(overrides, settingsGiven() ?? process.env);
  logger.level = config.LOG_LEVEL;
  return config;
}

/** Loads the configured model; the inference library is imported only here, so commands that need no model start fast. */
export async function embedderFor(config: Config): Promise<Embedder> {
  const { createEmbedder } = await import('../model/transformers-embedder.js');
  return createEmbedder(embedderOptions(config));
}

/** Structured JSON logs on stderr (pino). */
/** Logs on stderr: readable lines on a terminal (pino-pretty, in process), JSON lines otherwise (pino). */
export const logger = pino(
  { level: 'info', base: undefined, timestamp: pino.stdTimeFunctions.isoTime, redact: ['authorization', '*.authorization'] },
  process.stderr.isTTY && !process.env.CI
    ? // On a terminal, one line an event: the time, the event's name, then its fields.
      pretty({ destination: 2, sync: true, ignore: 'pid,hostname,event', translateTime: 'SYS:HH:MM:ss', singleLine: true, messageFormat: '{event}' })
    : pino.destination({ fd: 2, sync: true }),
);

/** One structured log line: an event name and its fields. */
export function log(event: string, fields: Record<string, unknown> = {}): void {
  logger.info({ event, ...fields });
}

export function buildOptions(config: Config, store: IndexStore, onProgress?: BuildOptions['onProgress']): BuildOptions {
  return { store, ...buildSettings(config), onProgress };
}

/** Progress of the embedding on stderr, in tokens: a bar on a terminal, a log line every `every` tokens elsewhere. */
export function progressReporter(label: string, every = 50_000): BuildOptions['onProgress'] {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label}: embedding [{bar}] {value}/{total} tokens  {eta_formatted} left`, stream: process.stderr, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    return (done, total) => {
      if (done === 0) bar.start(total, 0);
      else bar.update(done);
      if (done === total) bar.stop();
    };
  }
  let last = 0;
  return (done, total) => {
    if (done === total || done - last >= every) {
      last = done;
      log(`${label}.progress`, { done, total });
    }
  };
}

/** Reuses the current index when it was built from this corpus with these settings, else builds it. */
export async function engineFor(
  config: Config,
  embedder: Embedder,
  corpus: Corpus,
  depth?: number,
): Promise<{ engine: SearchEngine; rebuilt: boolean; store: IndexStore }> {
  const store = storeFor(config);
  const options = buildOptions(config, store, progressReporter('build'));
  const result = await buildIndexOf(embedder, corpus, options);
  const reader = await store.open(readerOptions(config, embedder, depth));
  return { engine: createSearchEngine(reader, embedder, searchSettings(config, depth)), rebuilt: !result.upToDate, store };
}
