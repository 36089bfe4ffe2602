// `build`: corpus folder → index, with progress; nothing to do (and no model loaded) when it is up to date. SIGTERM
// or SIGINT stops it before its next step: nothing is made current, its partial folder and lock are removed.
import { AppError } from '../errors.js';
import type { Skipped } from '../ingest/files.js';
import { readCorpus } from '../ingest/corpus.js';
import { syncFolder } from '../index/build.js';
import type { Embedder } from '../model/embedder.js';
import { CONFIG_VARIABLE } from '../config.js';
import type { BuildOutcome } from '../live/reindexer.js';
import { storeFor } from '../live/store-for.js';
import { buildOptions, configFrom, embedderFor, log, progressReporter, type Flags } from './shared.js';

/** Every file left out, and why: one JSON log line each, and a list on standard output. */
function reportSkipped(skipped: Skipped[], say: (text: string) => void): void {
  for (const s of skipped) log('corpus.skipped', { source: s.source, code: s.code, reason: s.reason });
  if (!skipped.length) return;
  say(`Skipped ${skipped.length} file(s):\n${skipped.map((s) => `  ${s.source} — ${s.reason}\n`).join('')}`);
}

export async function runBuild(flags: Flags & { force?: boolean; json?: boolean }): Promise<void> {
  const { json, ...rest } = flags;
  if (!json) {
    await build(rest, false);
    return;
  }
  const outcome = await build(rest, true).then(
    (result): BuildOutcome => ({ ok: true, ...result }),
    (err: unknown): BuildOutcome => ({ ok: false, error: { code: err instanceof AppError ? err.code : 'INTERNAL', message: (err as Error).message } }),
  );
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  if (!outcome.ok) process.exitCode = 1;
}

/**
 * Stops the build before it publishes once the process that started it is gone (its parent id changes when the
 * parent dies and this process is adopted): a server killed outright leaves no build behind to move its index.
 */
function stopWithParent(stop: (why: string) => void): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => process.ppid !== parent && stop('parent exited'), 250);
  timer.unref();
  return () => clearInterval(timer);
}

async function build(
  flags: Flags & { force?: boolean },
  json: boolean,
): Promise<{ index: string; upToDate: boolean; documents: number; passages: number; embedded: number; skipped: number }> {
  const { force, ...rest } = flags;
  const config = configFrom(rest);
  const stopping = new AbortController();
  const stop = (signal: string) => {
    if (stopping.signal.aborted) return;
    log('build.stopping', { signal });
    stopping.abort(new AppError('BUILD_STOPPED', signal));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  const unwatch = process.env[CONFIG_VARIABLE] ? stopWithParent(stop) : () => undefined;
  // With --json, standard output carries only the outcome line; the summary goes to the log stream.
  const say = (text: string) => (json ? process.stderr : process.stdout).write(text);
  const corpus = await readCorpus(config.CORPUS_DIR);
  const store = storeFor(config);
  // Each step's start, logged as it comes; their times for the summary.
  const phases: { stage: string; at: number }[] = [];
  const options = {
    ...buildOptions(config, store, progressReporter('build')),
    onStage: (stage: string) => {
      phases.push({ stage, at: performance.now() });
      log('build.stage', { stage });
    },
    signal: stopping.signal,
    force: Boolean(force),
  };
  // The model is loaded only when some text is new to the index.
  let embedder: Embedder | null = null;
  const model = async () => (embedder ??= await embedderFor(config));
  try {
    const started = performance.now();
    const result = await syncFolder(corpus, model, options);
    const m = result.manifest;
    const outcome = {
      index: result.name,
      upToDate: result.upToDate,
      documents: m.documents.length,
      passages: m.passages,
      embedded: result.embedded,
      skipped: result.skipped.length,
    };
    if (result.upToDate) {
      say(`Index is up to date: ${m.documents.length} document(s), ${m.passages} passages (${result.name}, built ${m.builtAt}).\n`);
      reportSkipped(result.skipped, say);
      return outcome;
    }
    const ended = performance.now();
    const seconds = (ended - started) / 1000;
    const times = phases.map((p, i) => ({ stage: p.stage, seconds: Number((((phases[i + 1]?.at ?? ended) - p.at) / 1000).toFixed(2)) }));
    log('build.done', {
      build: result.name,
      seconds: Number(seconds.toFixed(2)),
      phases: Object.fromEntries(times.map((t) => [t.stage, t.seconds])),
      skipped: result.skipped.length,
    });
    const what = result.rebuilt
      ? `Indexed ${m.documents.length} document(s) (${result.extracted} read, ${result.reusedFiles} unchanged)`
      : `Updated ${result.changed} document(s), removed ${result.removed} (${result.extracted} read; ${m.documents.length} in all)`;
    say(
      `${what}: ${m.passages} passages (${m.dimension}-d, ${m.modelId}; ${result.embedded} sentences embedded, ${result.reused} reused) ` +
        `in ${seconds.toFixed(1)} s, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB → ${result.name} in ${store.where}\n` +
        `Steps: ${times.map((t) => `${t.stage} ${t.seconds.toFixed(2)} s`).join(', ')}\n`,
    );
    reportSkipped(result.skipped, say);
    return outcome;
  } finally {
    unwatch();
    await (embedder as Embedder | null)?.dispose();
    await store.close();
  }
}
