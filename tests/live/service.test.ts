// The running service's index: loaded once, reloaded only when CURRENT has moved, the old one serving on failure.
import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createService, type Service } from '../../src/live/service.js';
import { createApp } from '../../src/http/app.js';
import { startCommand, stopProcess, tail } from '../../src/live/processes.js';
import { pdfPageTreeBomb, slowInputs } from '../helpers/documents.js';
import { MODELS_DIR, allPassages, buildReal, realApp, realEmbedder, removeDir, tempDir, writeCorpus } from '../helpers/real.js';
import { runBuild } from '../helpers/server.js';

describe("the service's reload", () => {
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

describe('a server with no index yet', () => {
  it('says why once, not at every poll, and loads the index once one is built', async () => {
    const root = await tempDir();
    const indexDir = path.join(root, 'index');
    const service = await createService(loadConfig({ INDEX_DIR: indexDir, CORPUS_DIR: path.join(root, 'corpus') }, {}), await realEmbedder());
    const events: string[] = [];
    try {
      await service.follow(20, (event) => events.push(event));
      await new Promise((r) => setTimeout(r, 300)); // about fifteen polls
      expect(events.filter((e) => e === 'index.reload.failed')).toHaveLength(1);
      await buildReal(root, await writeCorpus(root, { 'a.txt': 'The kettle is on the stove.' }));
      for (let i = 0; i < 100 && !events.includes('index.loaded'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(events.filter((e) => e === 'index.loaded')).toHaveLength(1);
    } finally {
      await service.close();
      await removeDir(root);
    }
  });
});

describe('/view reads the build, not the corpus folder', () => {
  it('shows the indexed text after its file is gone or a FIFO stands in its place, at once', async () => {
    const root = await tempDir();
    try {
      const { app } = await realApp(
        root,
        { 'a.txt': 'Ferries stop in January.', 'b.txt': 'The lighthouse keeper gives tours.' },
        { limits: { maxQueryChars: 100, defaultK: 5, maxK: 50, maxBodyBytes: 1024 } },
      );
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

describe('a server over an index of another folder', () => {
  it('warns when the index was built from another corpus folder, and when its folder changed since', async () => {
    const root = await tempDir();
    try {
      const first = await writeCorpus(path.join(root, 'a'), { 'a.txt': 'The kettle is on the stove.' });
      const other = await writeCorpus(path.join(root, 'b'), { 'b.txt': 'The bread is in the oven.' });
      const env = { INDEX_DIR: path.join(root, 'index'), CORPUS_DIR: first, MODELS_DIR, LOG_LEVEL: 'info' };
      await runBuild(env);
      // The server's log from its first line: the warning may come in the same write as the address.
      const serveUntil = async (corpus: string, pattern: RegExp) => {
        const child = startCommand(['serve'], { env: { ...process.env, ...env, CORPUS_DIR: corpus, PORT: '0' }, compiled: true });
        const log = tail(child.stderr, 100_000);
        try {
          for (let i = 0; i < 600 && !pattern.test(log()); i++) await new Promise((r) => setTimeout(r, 50));
          return log().match(pattern);
        } finally {
          await stopProcess(child);
        }
      };
      expect((await serveUntil(other, /"event":"index\.other-corpus","index":"([^"]+)"/))?.[1]).toBe(first);
      await writeFile(path.join(first, 'a.txt'), 'The kettle is on the hob now.');
      expect(await serveUntil(first, /"event":"index\.corpus-changed"/)).not.toBeNull();
    } finally {
      await removeDir(root);
    }
  });
});

describe('files past a reading limit', () => {
  it('are named by the build and counted by code in /health, and the rest of the corpus is indexed', async () => {
    const root = await tempDir();
    try {
      const corpus = await writeCorpus(root, {
        'notes.txt': 'The kettle is in the left cupboard.',
        'deep.html': slowInputs.nestedDivs(2_000),
        'prices.csv': 'a,b\n',
      });
      await writeFile(path.join(corpus, 'pages.pdf'), pdfPageTreeBomb(6, 10));
      const built = await buildReal(root, corpus);
      expect(built.manifest.documents.map((d) => d.source)).toEqual(['notes.txt']);
      expect(built.skipped.map((s) => [s.source, s.code])).toEqual([
        ['deep.html', 'too-complex'],
        ['pages.pdf', 'too-complex'],
        ['prices.csv', 'unsupported'],
      ]);
      const service = await createService(loadConfig({ INDEX_DIR: built.indexDir, CORPUS_DIR: corpus }, {}), await realEmbedder());
      const app = createApp({
        engine: () => service.engine(),
        health: () => service.health(),
        limits: { maxQueryChars: 100, defaultK: 5, maxK: 50, maxBodyBytes: 1024 },
      });
      const health = (await (await app.request('/health')).json()) as { index: { skipped: number; skippedByCode: Record<string, number> } };
      expect(health.index).toMatchObject({ skipped: 3, skippedByCode: { 'too-complex': 2, unsupported: 1 } });
      await service.close();
    } finally {
      await removeDir(root);
    }
  });
});
