// `build`: corpus folder → index, with progress; nothing to do (and no model loaded) when it is up to date. SIGTERM
// or SIGINT stops it before its next step: nothing is made current, its partial folder and lock are removed.
import { AppError } from '../errors.js';
import type { Skipped } from '../ingest/files.js';
import { readCorpus } from '../ingest/corpus.js';
import { syncFolder } from '../index/build.js';
import type { Embedder } from '../model/embedder.js';
import { storeFor } from '../live/store-for.js';
import { buildOptions, configFrom, embedderFor, log, progressReporter, type Flags } from './shared.js';

/** Every file left out, and why: one JSON log line each, and a list on standard output. */
function reportSkipped(skipped: Skipped[]): void {
  for (const s of skipped) log('corpus.skipped', { source: s.source, code: s.code, reason: s.reason });
  if (!skipped.length) return;
  process.stdout.write(`Skipped ${skipped.length} file(s):\n${skipped.map((s) => `  ${s.source} — ${s.reason}\n`).join('')}`);
}

export async function runBuild(flags: Flags & { force?: boolean }): Promise<void> {
  const { force, ...rest } = flags;
  const config = configFrom(rest);
  const stopping = new AbortController();
  const stop = (signal: string) => {
    log('build.stopping', { signal });
    stopping.abort(new AppError('BUILD_STOPPED', signal));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
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
    if (result.upToDate) {
      process.stdout.write(`Index is up to date: ${m.documents.length} document(s), ${m.passages} passages (${result.name}, built ${m.builtAt}).\n`);
      reportSkipped(result.skipped);
      return;
    }
    const ended = performance.now();
    const seconds = (ended - started) / 1000;
    const times = phases.map((p, i) => ({ stage: p.stage, seconds: Number((((phases[i + 1]?.at ?? ended) - p.at) / 1000).toFixed(2)) }));
    log('build.done', { build: result.name, seconds: Number(seconds.toFixed(2)), phases: Object.fromEntries(times.map((t) => [t.stage, t.seconds])), skipped: result.skipped.length });
    const what = result.rebuilt
      ? `Indexed ${m.documents.length} document(s) (${result.extracted} read, ${result.reusedFiles} unchanged)`
      : `Updated ${result.changed} document(s), removed ${result.removed} (${result.extracted} read; ${m.documents.length} in all)`;
    process.stdout.write(
      `${what}: ${m.passages} passages (${m.dimension}-d, ${m.modelId}; ${result.embedded} sentences embedded, ${result.reused} reused) ` +
        `in ${seconds.toFixed(1)} s, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB → ${result.name} in ${store.where}\n` +
        `Steps: ${times.map((t) => `${t.stage} ${t.seconds.toFixed(2)} s`).join(', ')}\n`,
    );
    reportSkipped(result.skipped);
  } finally {
    await (embedder as Embedder | null)?.dispose();
    await store.close();
  }
}
