// The server as a user runs it with live rebuilds: edits to the corpus and admin calls reach the answers without a
// restart, and a failed rebuild leaves the old index serving.
import { appendFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS_DIR, removeDir, tempDir, writeCorpus } from '../helpers/real.js';
import { runBuild, startServer, waitFor } from '../helpers/server.js';

const json = async (res: Response): Promise<any> => res.json();
const TOKEN = 'a-test-admin-token-0123456789';

describe('live rebuilds in a running server', () => {
  let root: string;
  let corpus: string;
  let base: string;
  let stop: () => Promise<number | null>;

  beforeAll(async () => {
    root = await tempDir();
    corpus = await writeCorpus(root, { 'notes.txt': 'The kettle is in the left cupboard. Mugs hang above the sink.' });
    const env = { CORPUS_DIR: corpus, INDEX_DIR: path.join(root, 'index'), MODELS_DIR, WATCH: 'true', WATCH_DEBOUNCE_MS: '200', ADMIN_TOKEN: TOKEN };
    await runBuild(env);
    ({ base, stop } = await startServer(env));
  });

  afterAll(async () => {
    await stop?.();
    await removeDir(root);
  });

  const health = async () => json(await fetch(`${base}/health`));

  it('answers from an edited document once the watcher has rebuilt', async () => {
    const before = (await health()).index.build;
    await appendFile(path.join(corpus, 'notes.txt'), '\n\nSpare light bulbs are kept in the garage drawer.');
    await waitFor(async () => ((await health()).index.build !== before && !(await health()).rebuild.running ? true : undefined), 'the rebuild');
    const body = await json(await fetch(`${base}/search?q=${encodeURIComponent('where are the spare bulbs')}&k=1`));
    expect(body.hits[0].text).toContain('garage drawer');
  });

  it('picks up a new document', async () => {
    const before = (await health()).index.build;
    await writeFile(path.join(corpus, 'garden.md'), '# Garden\n\nThe hose reel is behind the shed.');
    await waitFor(async () => ((await health()).index.build !== before ? true : undefined), 'the rebuild');
    const body = await json(await fetch(`${base}/search?q=${encodeURIComponent('where is the hose')}&k=1`));
    expect(body.hits[0].source).toBe('garden.md');
  });

  it('guards the admin route with the bearer token', async () => {
    const none = await fetch(`${base}/admin/reindex`, { method: 'POST' });
    expect(none.status).toBe(401);
    expect((await json(none)).error.code).toBe('UNAUTHORIZED');
    const wrong = await fetch(`${base}/admin/reindex`, { method: 'POST', headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${base}/admin/reindex`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(202);
    expect((await json(ok)).rebuild).toMatchObject({ queued: true });
    await waitFor(async () => {
      const h = await health();
      return !h.rebuild.running && !h.rebuild.queued ? true : undefined;
    }, 'the admin rebuild');
  });

  it('keeps serving the old index when the sync of an edit fails, and says why in /health', async () => {
    const before = (await health()).index.build;
    await rm(path.join(corpus, 'notes.txt'), { force: true });
    await rm(path.join(corpus, 'garden.md'), { force: true });
    const h = await waitFor(async () => ((await health()).syncError ? health() : undefined), 'the failed sync');
    expect(h.syncError.code).toBe('CORPUS_EMPTY');
    expect(h.index.build).toBe(before);
    const res = await fetch(`${base}/search?q=kettle`);
    expect(res.status).toBe(200);
    expect((await json(res)).hits[0].text).toContain('kettle');
  });
});

describe('a watching server started with no index, or an old one', () => {
  it('builds at start, then serves, and catches up with edits made while it was down', async () => {
    const root = await tempDir();
    const corpus = await writeCorpus(root, { 'notes.txt': 'The kettle is in the left cupboard.' });
    const env = { CORPUS_DIR: corpus, INDEX_DIR: path.join(root, 'index'), MODELS_DIR, WATCH: 'true', WATCH_DEBOUNCE_MS: '100' };
    let server = await startServer(env);
    try {
      const ready = await waitFor(async () => {
        const res = await fetch(`${server.base}/search?q=${encodeURIComponent('where is the kettle')}&k=1`);
        return res.status === 200 ? json(res) : undefined;
      }, 'the build at start');
      expect(ready.hits[0].text).toContain('kettle');
      await server.stop();
      // Edited while no server watched.
      await appendFile(path.join(corpus, 'notes.txt'), '\n\nThe torch is in the hall drawer.');
      server = await startServer(env);
      await waitFor(
        async () =>
          (await json(await fetch(`${server.base}/search?q=${encodeURIComponent('where is the torch')}&k=1`))).hits?.[0]?.text.includes('torch')
            ? true
            : undefined,
        'the catch-up build',
      );
    } finally {
      await server.stop();
      await removeDir(root);
    }
  });
});

describe('a watching server whose corpus folder is renamed away and back', () => {
  it('says the watch is lost while the folder is gone, then watches it anew and serves later edits', async () => {
    const root = await tempDir();
    const corpus = await writeCorpus(root, { 'notes.txt': 'The kettle is in the left cupboard.' });
    const env = { CORPUS_DIR: corpus, INDEX_DIR: path.join(root, 'index'), MODELS_DIR, WATCH: 'true', WATCH_DEBOUNCE_MS: '100', WATCH_CHECK_MS: '200' };
    await runBuild(env);
    const server = await startServer(env);
    try {
      const health = async () => json(await fetch(`${server.base}/health`));
      expect((await health()).watch).toBe('watching');
      await rename(corpus, `${corpus}-away`);
      await waitFor(async () => ((await health()).watch === 'lost' ? true : undefined), 'the watch to be reported lost');
      await rename(`${corpus}-away`, corpus);
      await waitFor(async () => ((await health()).watch === 'watching' ? true : undefined), 'the watch to come back');
      await waitFor(async () => (!(await health()).rebuild.running && !(await health()).rebuild.queued ? true : undefined), 'the rebuild after it came back');
      await appendFile(path.join(corpus, 'notes.txt'), '\n\nThe torch is in the hall drawer.');
      await waitFor(
        async () =>
          (await json(await fetch(`${server.base}/search?q=${encodeURIComponent('where is the torch')}&k=1`))).hits?.[0]?.text.includes('torch')
            ? true
            : undefined,
        'the edit after the folder came back',
      );
    } finally {
      await server.stop();
      await removeDir(root);
    }
  });
});

describe('a server whose index another process rebuilds', () => {
  it('notices CURRENT moved on and serves the new build, with no watch of its own', async () => {
    const root = await tempDir();
    const corpus = await writeCorpus(root, { 'notes.txt': 'The kettle is in the left cupboard.' });
    const env = { CORPUS_DIR: corpus, INDEX_DIR: path.join(root, 'index'), MODELS_DIR, INDEX_POLL_MS: '200' };
    await runBuild(env);
    const server = await startServer(env);
    try {
      const before = (await json(await fetch(`${server.base}/health`))).index.build;
      await appendFile(path.join(corpus, 'notes.txt'), '\n\nThe torch is in the hall drawer.');
      await runBuild(env);
      await waitFor(async () => ((await json(await fetch(`${server.base}/health`))).index.build !== before ? true : undefined), 'the new build', 20_000);
      const body = await json(await fetch(`${server.base}/search?q=${encodeURIComponent('where is the torch')}&k=1`));
      expect(body.hits[0].text).toContain('torch');
    } finally {
      await server.stop();
      await removeDir(root);
    }
  });
});
