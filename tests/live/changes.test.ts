// A server's changes made in a worker thread: the same changes as in process, their errors with the same codes, and
// nothing left running once closed.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSettings, loadConfig } from '../../src/config.js';
import { syncFolder } from '../../src/index/build.js';
import { createFilesStore } from '../../src/index/files/files-store.js';
import { readCorpus } from '../../src/ingest/corpus.js';
import { AppError } from '../../src/errors.js';
import { changesInWorker } from '../../src/live/changes-worker.js';
import { createService, type Service } from '../../src/live/service.js';
import { search } from '../../src/search/search.js';
import { MODELS_DIR, realEmbedder, removeDir, tempDir, writeCorpus } from '../helpers/real.js';

describe('changes made in a worker thread', () => {
  let root: string;
  let corpus: string;
  let service: Service;
  const config = () => loadConfig({ INDEX_DIR: path.join(root, 'index'), CORPUS_DIR: corpus, MODELS_DIR, CHUNK_WORDS: 12, CHUNK_OVERLAP: 4 }, {});

  beforeAll(async () => {
    root = await tempDir();
    corpus = await writeCorpus(root, { 'garden.txt': 'Tomatoes need full sun. Water them deeply twice a week.' });
    // Built under the settings the worker changes it with, so that a folder sync adds to it.
    await syncFolder(await readCorpus(corpus), realEmbedder, { store: createFilesStore(path.join(root, 'index')), ...buildSettings(config()) });
    service = await createService(config(), await realEmbedder());
  });
  afterAll(async () => {
    await service.close();
    await removeDir(root);
  });

  it('puts a document and syncs the folder as in process, refuses with the catalogue codes, and ends on close', async () => {
    const runner = changesInWorker(config());
    try {
      const put = await runner.documents([{ source: 'notes/harbour.md', bytes: Buffer.from('# Harbour\n\nThe ferry leaves at seven every morning.') }]);
      expect(put.upToDate).toBe(false);
      expect(put.documents).toMatchObject([{ source: 'notes/harbour.md', origin: 'api', title: 'Harbour' }]);
      await service.reload();
      expect(service.engine().reader.name).toBe(put.name);
      const hits = (await search(service.engine(), 'when does the ferry leave', { k: 1 })).hits;
      expect(hits[0].source).toBe('notes/harbour.md');

      const refused = await runner.documents([{ source: 'notes/photo.png', bytes: Buffer.from('png'), contentType: 'image/png' }]).catch((e) => e);
      expect(refused).toBeInstanceOf(AppError);
      expect(refused).toMatchObject({ code: 'DOCUMENT_UNSUPPORTED', status: 415 });
      expect(refused.message).toContain('notes/photo.png');

      await writeFile(path.join(corpus, 'shed.txt'), 'The hose reel hangs behind the shed door.');
      const synced = await runner.sync();
      expect(synced).toMatchObject({ upToDate: false, needsRebuild: false, changed: 1, removed: 0 });
      expect(await runner.sync()).toMatchObject({ upToDate: true });
    } finally {
      await runner.close();
    }
    // Closed: the next change starts a worker again and is made.
    const again = changesInWorker(config());
    try {
      expect((await again.documents([{ source: 'notes/harbour.md' }])).upToDate).toBe(false);
    } finally {
      await again.close();
    }
  });
});
