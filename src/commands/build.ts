// `build`: corpus folder → index, with progress.
import { buildIndex } from '../indexer.js';
import { buildOptions, configFrom, embedderFor, progressReporter, type Flags } from './shared.js';

export async function runBuild(flags: Flags): Promise<void> {
  const config = configFrom(flags);
  const embedder = await embedderFor(config);
  const result = await buildIndex(embedder, { ...buildOptions(config, progressReporter('build')), corpusDir: config.CORPUS_DIR });
  await embedder.dispose();
  const m = result.manifest;
  process.stdout.write(
    `Indexed ${m.documents.length} document(s): ${m.passages} passages, ${m.vectors} vectors (${m.dimension}-d, ${m.modelId}) in ${(m.buildMs / 1000).toFixed(1)} s → ${result.dir}\n`,
  );
}
