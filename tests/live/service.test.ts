// The running service's index: loaded once, reloaded only when CURRENT has moved, the old one serving on failure.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createService, type Service } from '../../src/live/service.js';
import { allPassages, buildReal, realEmbedder, removeDir, tempDir, writeCorpus } from '../helpers/real.js';

describe('the service\'s reload', () => {
  let root: string;
  let corpus: string;
  let service: Service;

  beforeAll(async () => {
    root = await tempDir();
    corpus = await writeCorpus(root, { 'notes.txt': 'The kettle is in the left cupboard.' });
    const { indexDir } = await buildReal(root, corpus);
    service = await createService(loadConfig({ INDEX_DIR: indexDir, CORPUS_DIR: corpus }, {}), await realEmbedder());
  });
  afterAll(() => removeDir(root));

  it('does nothing when CURRENT has not moved, and loads the new build when it has', async () => {
    const loaded = service.engine();
    await service.reload();
    expect(service.engine()).toBe(loaded);
    await writeFile(path.join(corpus, 'notes.txt'), 'The kettle is in the left cupboard. Mugs hang above the sink.');
    await buildReal(root, corpus);
    await service.reload();
    expect(service.engine()).not.toBe(loaded);
    expect((await allPassages(service.engine()))[0].text).toContain('Mugs hang');
  });
});
