// The running service's index: loaded once, reloaded only when CURRENT has moved, the old one serving on failure.
import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createService, type Service } from '../../src/live/service.js';
import { createApp } from '../../src/http/app.js';
import { pdfPageTreeBomb, slowInputs } from '../helpers/documents.js';
import { allPassages, buildReal, realApp, realEmbedder, removeDir, tempDir, writeCorpus } from '../helpers/real.js';

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

describe('/view reads the build, not the corpus folder', () => {
  it('shows the indexed text after its file is gone or a FIFO stands in its place, at once', async () => {
    const root = await tempDir();
    try {
      const { app } = await realApp(root, { 'a.txt': 'Ferries stop in January.', 'b.txt': 'The lighthouse keeper gives tours.' }, { limits: { maxQueryChars: 100, defaultK: 5, maxK: 50, maxBodyBytes: 1024 } });
      await rm(path.join(root, 'corpus', 'a.txt'));
      execFileSync('mkfifo', [path.join(root, 'corpus', 'a.txt')]);
      for (let i = 0; i < 6; i++) {
        const res = await app.request('/view?source=a.txt&start=0&end=7');
        expect(res.status).toBe(200);
        expect(await res.text()).toContain('<mark id="hit" tabindex="-1">Ferries</mark> stop in January.');
      }
      await rm(path.join(root, 'corpus'), { recursive: true });
      expect(await (await app.request('/view?source=b.txt&start=0&end=10')).text()).toContain('keeper gives tours');
      expect((await app.request('/view?source=c.txt&start=0&end=10')).status).toBe(404);
    } finally {
      await removeDir(root);
    }
  });
});

describe('files past a reading limit', () => {
  it('are named by the build and counted by code in /health, and the rest of the corpus is indexed', async () => {
    const root = await tempDir();
    try {
      const corpus = await writeCorpus(root, { 'notes.txt': 'The kettle is in the left cupboard.', 'deep.html': slowInputs.nestedDivs(2_000), 'prices.csv': 'a,b\n' });
      await writeFile(path.join(corpus, 'pages.pdf'), pdfPageTreeBomb(6, 10));
      const built = await buildReal(root, corpus);
      expect(built.manifest.documents.map((d) => d.source)).toEqual(['notes.txt']);
      expect(built.skipped.map((s) => [s.source, s.code])).toEqual([['deep.html', 'too-complex'], ['pages.pdf', 'too-complex'], ['prices.csv', 'unsupported']]);
      const service = await createService(loadConfig({ INDEX_DIR: built.indexDir, CORPUS_DIR: corpus }, {}), await realEmbedder());
      const app = createApp({ engine: () => service.engine(), health: () => service.health(), limits: { maxQueryChars: 100, defaultK: 5, maxK: 50, maxBodyBytes: 1024 } });
      const health = (await (await app.request('/health')).json()) as { index: { skipped: number; skippedByCode: Record<string, number> } };
      expect(health.index).toMatchObject({ skipped: 3, skippedByCode: { 'too-complex': 2, unsupported: 1 } });
      await service.close();
    } finally {
      await removeDir(root);
    }
  });
});
