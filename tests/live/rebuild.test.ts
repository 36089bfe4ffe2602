// Rebuilding while serving: incremental embedding, atomic swaps under load, locks, kills, and the background reindexer.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { readCorpus } from '../../src/ingest/corpus.js';
import type { Embedder } from '../../src/model/embedder.js';
import { createFilesStore } from '../../src/index/files/files-store.js';
import { currentVersion } from '../../src/index/files/commits.js';
import type { BuildReader } from '../../src/index/store.js';
import { buildIndex, upToDateManifest, type BuildOptions } from '../../src/index/build.js';
import { acquireBuildLock } from '../../src/index/files/lock.js';
import { createReindexer, outcomeOf, runBuildProcess, type BuildEnd } from '../../src/live/reindexer.js';
import { CONFIG_VARIABLE } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { createService } from '../../src/live/service.js';
import { cliArguments, exited, startCommand, tail, waitForLog } from '../../src/live/processes.js';
import { MODELS_DIR, allPassages, longDocument, realEmbedder, removeDir, tempDir, writeCorpus } from '../helpers/real.js';

const json = async (res: Response): Promise<any> => res.json();

const PARAGRAPHS = [
  'The harbour freezes in January. Ferries stop running until the thaw. Islanders stock up on flour in autumn.',
  'The lighthouse was automated in 1987. Its last keeper still lives in the village. He gives tours in summer.',
  'Puffins nest on the northern cliffs. They arrive in April and leave in August. Their burrows are fenced off.',
];

function options(root: string, overrides: Partial<BuildOptions> = {}): BuildOptions & { corpusDir: string } {
  return {
    corpusDir: path.join(root, 'corpus'),
    store: createFilesStore(path.join(root, 'index')),
    model: 'use-lite',
    chunking: { words: 30, overlap: 10, maxTokens: 128 },
    hnsw: { M: 16, efConstruction: 100 },
    ...overrides,
  };
}

/** Every distinct text a version holds: the passages' sentences, whitespace folded. */
async function textsOf(reader: BuildReader): Promise<Set<string>> {
  const out = new Set<string>();
  for (const p of await allPassages({ reader })) {
    for (const s of p.sentences)
      out.add(
        p.text
          .slice(s.start - p.start, s.end - p.start)
          .replace(/\s+/g, ' ')
          .trim(),
      );
  }
  return out;
}

describe('incremental builds', () => {
  let embedder: Embedder;
  const roots: string[] = [];

  beforeAll(async () => {
    embedder = await realEmbedder();
  });
  afterAll(() => Promise.all(roots.map(removeDir)));

  /** A folder of the test's own: the island paragraphs and a note, built once. */
  const built = async () => {
    const root = await tempDir();
    roots.push(root);
    await writeCorpus(root, { 'island.txt': PARAGRAPHS.join('\n\n'), 'other.md': 'A separate note about tides.' });
    const first = await buildIndex(embedder, options(root));
    expect(first.reused).toBe(0);
    return root;
  };
  const load = (root: string) => createFilesStore(path.join(root, 'index')).open({ expect: embedder, efSearch: 50 });
  const editSecondParagraph = (root: string) =>
    writeFile(
      path.join(root, 'corpus', 'island.txt'),
      [PARAGRAPHS[0], PARAGRAPHS[1].replace('in summer', 'every Sunday in summer'), PARAGRAPHS[2]].join('\n\n'),
    );

  it('re-embeds exactly the texts an edited paragraph changes', async () => {
    const root = await built();
    const before = await textsOf(await load(root));
    await editSecondParagraph(root);
    const second = await buildIndex(embedder, options(root));
    const after = await textsOf(await load(root));
    const changed = [...after].filter((t) => !before.has(t));

    expect(second.embedded).toBe(changed.length);
    expect(second.embedded).toBe(1); // the edited sentence; the windows holding it are means of sentence vectors
    // Only the edited document is made again: its nine sentences, eight of them known to the index.
    expect(second).toMatchObject({ changed: 1, removed: 1, reused: 8 });
  });

  it('gives the same vectors reused as embedded afresh', async () => {
    const root = await built();
    await editSecondParagraph(root);
    expect((await buildIndex(embedder, options(root))).reused).toBeGreaterThan(0);
    const reused = await load(root);
    const p = (await allPassages({ reader: reused })).find((x) => x.source === 'island.txt' && x.sentences.length > 1)!;
    const s = p.sentences[1];
    const fresh = await embedder.embedPassages([p.text.slice(s.start - p.start, s.end - p.start)]);
    // The stored vector's cosine to the one just made.
    expect((await reused.cosines(fresh[0], [s.row])).get(s.row)).toBeGreaterThan(0.9999);
  });

  it('re-embeds nothing when only the chunking changes', async () => {
    const root = await built();
    const result = await buildIndex(embedder, options(root, { chunking: { words: 20, overlap: 0, maxTokens: 128 } }));
    expect(result.reused).toBeGreaterThan(0);
    expect(result.embedded).toBe(0);
  });

  it('reuses nothing when the model changes', async () => {
    const root = await built();
    const other: Embedder = Object.create(embedder, { fingerprint: { value: '["another-model","mean","",""]' } });
    const result = await buildIndex(other, options(root));
    expect(result.reused).toBe(0);
  });

  it('knows an unchanged corpus is up to date, and a changed setting or text is not', async () => {
    const root = await built();
    const opts = options(root);
    const corpus = await readCorpus(opts.corpusDir);
    expect(await upToDateManifest(corpus.hash, opts)).not.toBeNull();
    expect(await upToDateManifest(corpus.hash, options(root, { hnsw: { M: 8, efConstruction: 100 } }))).toBeNull();
    expect(await upToDateManifest('0'.repeat(64), opts)).toBeNull();
  });

  it('lets one build run at a time', async () => {
    const root = await built();
    const release = await acquireBuildLock(path.join(root, 'index'));
    try {
      await expect(buildIndex(embedder, options(root))).rejects.toMatchObject({ code: 'BUILD_IN_PROGRESS' });
    } finally {
      await release();
    }
    await expect(buildIndex(embedder, options(root))).resolves.toBeDefined();
  });
});

describe('swapping a new index in under load', () => {
  let root: string;

  beforeAll(async () => {
    root = await tempDir();
    await writeCorpus(root, { 'island.txt': PARAGRAPHS.join('\n\n') });
  });
  afterAll(() => removeDir(root));

  it('answers every concurrent request from the old build or the new one, never failing', async () => {
    const embedder = await realEmbedder();
    await buildIndex(embedder, options(root));
    const config = loadConfig({ INDEX_DIR: path.join(root, 'index'), CORPUS_DIR: path.join(root, 'corpus') }, {});
    const service = await createService(config, embedder);
    const app = createApp({
      engine: () => service.engine(),
      health: () => service.health(),
      limits: { maxQueryChars: 500, defaultK: 5, maxK: 50, maxBodyBytes: 4096 },
    });
    const oldBuild = (await currentVersion(config.INDEX_DIR))!;
    const passagesOf = new Map<string, Set<string>>([[oldBuild, new Set((await allPassages(service.engine())).map((p) => p.id))]]);

    await writeFile(path.join(root, 'corpus', 'island.txt'), `${PARAGRAPHS.join('\n\n')}\n\nA bakery opened by the pier in May. It sells rye bread.`);
    const questions = ['when does the harbour freeze', 'who kept the lighthouse', 'where do puffins nest', 'where can I buy bread'];
    const requests: Array<Promise<Response> | Response> = [];
    const swap = (async () => {
      await buildIndex(embedder, options(root));
      await service.reload();
    })();
    // Keep requests flowing until the swap is done, then a few more.
    let done = false;
    swap.then(() => (done = true));
    for (let i = 0; !done || i % 50 !== 0; i++) {
      requests.push(app.request(`/search?q=${encodeURIComponent(questions[i % questions.length])}`));
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    await swap;
    const newBuild = (await currentVersion(config.INDEX_DIR))!;
    passagesOf.set(newBuild, new Set((await allPassages(service.engine())).map((p) => p.id)));

    const responses = await Promise.all(requests);
    expect(responses.length).toBeGreaterThanOrEqual(100);
    const seenBuilds = new Set<string>();
    for (const res of responses) {
      expect(res.status).toBe(200);
      const body = await json(res);
      seenBuilds.add(body.index);
      const ids = passagesOf.get(body.index);
      expect(ids).toBeDefined();
      for (const hit of body.hits) expect(ids!.has(hit.id)).toBe(true);
    }
    expect(seenBuilds.has(oldBuild)).toBe(true);
    const after = await json(await app.request('/search?q=where+can+I+buy+bread&k=1'));
    expect(after.index).toBe(newBuild);
    expect(after.hits[0].text).toContain('bakery');
  });
});

describe('a build killed mid-way', () => {
  let root: string;

  beforeAll(async () => {
    root = await tempDir();
    await writeCorpus(root, { 'island.txt': PARAGRAPHS.join('\n\n') });
    await buildIndex(await realEmbedder(), options(root));
    await writeFile(path.join(root, 'corpus', 'long.txt'), longDocument(1500));
  });
  afterAll(() => removeDir(root));

  // Each kill lands while the build is in that step, as the build's own log says.
  it.each(['reuse', 'extract', 'chunk', 'embed', 'assemble'])(
    'leaves an index that loads when killed in its %s step, and the next build cleans up',
    async (stage) => {
      const embedder = await realEmbedder();
      const before = await currentVersion(path.join(root, 'index'));
      const child = startCommand(['build'], {
        env: {
          ...process.env,
          CORPUS_DIR: path.join(root, 'corpus'),
          INDEX_DIR: path.join(root, 'index'),
          MODELS_DIR,
          HNSW_EF_CONSTRUCTION: '400',
          LOG_LEVEL: 'info',
        },
        compiled: true,
      });
      await waitForLog(child, new RegExp(`"stage":"${stage}"`));
      child.kill('SIGKILL');
      await exited(child);

      expect(await currentVersion(path.join(root, 'index'))).toBe(before);
      const reader = await createFilesStore(path.join(root, 'index')).open({ expect: embedder, efSearch: 50 });
      expect(reader.manifest.passages).toBeGreaterThan(0);

      // The dead builder's lock and partial segment do not stop the next build, which removes them.
      const result = await buildIndex(embedder, { ...options(root), corpusDir: await islandOnly(root) });
      expect((await readdir(path.join(root, 'index', 'segments'))).filter((e) => e.endsWith('.partial'))).toEqual([]);
      expect(await readdir(path.join(root, 'index'))).not.toContain('build.lock');
      expect(existsSync(path.join(root, 'index', 'commits', `${result.name}.json`))).toBe(true);
    },
  );

  it('stops at SIGTERM before making anything current, and leaves no lock or partial folder', async () => {
    const before = await currentVersion(path.join(root, 'index'));
    const child = startCommand(['build'], {
      env: { ...process.env, CORPUS_DIR: path.join(root, 'corpus'), INDEX_DIR: path.join(root, 'index'), MODELS_DIR, LOG_LEVEL: 'info' },
      compiled: true,
    });
    const log = tail(child.stderr, 100_000);
    await waitForLog(child, /"stage":"embed"/);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(1);
    expect(log()).toContain('BUILD_STOPPED');
    expect(await currentVersion(path.join(root, 'index'))).toBe(before);
    expect((await readdir(path.join(root, 'index', 'segments'))).filter((e) => e.endsWith('.partial'))).toEqual([]);
    expect(await readdir(path.join(root, 'index'))).not.toContain('build.lock');
  });
});

describe('the build child of a server', () => {
  let root: string;

  beforeAll(async () => {
    root = await tempDir();
    await writeCorpus(root, { 'island.txt': PARAGRAPHS.join('\n\n') });
  });
  afterAll(() => removeDir(root));

  const settings = (overrides: Record<string, string> = {}) =>
    loadConfig({ CORPUS_DIR: path.join(root, 'corpus'), INDEX_DIR: path.join(root, 'index'), MODELS_DIR, ...overrides }, {});

  it('takes its settings as one value, over its own environment, and reports its outcome as data', async () => {
    const saved = process.env.CORPUS_DIR;
    process.env.CORPUS_DIR = path.join(root, 'no-such-folder'); // what a child reading its environment would use
    try {
      const done = await runBuildProcess(settings()).done;
      expect(done.outcome).toMatchObject({ ok: true, upToDate: false, documents: 1 });
      expect(done.outcome?.ok && done.outcome.index).toBe(await currentVersion(path.join(root, 'index')));
      const missing = await runBuildProcess(settings({ CORPUS_DIR: path.join(root, 'gone') })).done;
      expect(missing.outcome).toMatchObject({ ok: false, error: { code: 'CORPUS_MISSING' } });
    } finally {
      if (saved === undefined) delete process.env.CORPUS_DIR;
      else process.env.CORPUS_DIR = saved;
    }
  });

  it('stops before it publishes when the server that started it is killed outright', async () => {
    await writeFile(path.join(root, 'corpus', 'long.txt'), longDocument(1500));
    const before = await currentVersion(path.join(root, 'index'));
    // A stand-in for the server: a shell that starts the build as the reindexer does, then is killed with SIGKILL.
    const env = { ...process.env, [CONFIG_VARIABLE]: JSON.stringify(settings({ LOG_LEVEL: 'info' })) };
    const parent = spawn('sh', ['-c', '"$@" & echo "pid $!" >&2; wait', 'sh', process.execPath, ...cliArguments(true), 'build', '--json'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = tail(parent.stderr, 200_000);
    const out = tail(parent.stdout);
    const closed = once(parent.stderr, 'end');
    await waitForLog(parent, /"stage":"embed"/);
    parent.kill('SIGKILL');
    await closed; // the build held the pipe until it ended
    expect(log()).toContain('parent exited');
    expect(outcomeOf(out())).toMatchObject({ ok: false, error: { code: 'BUILD_STOPPED' } });
    expect(await currentVersion(path.join(root, 'index'))).toBe(before);
    const pid = Number(log().match(/^pid (\d+)$/m)?.[1]);
    // Gone, or a zombie waiting for this machine's init to reap it: either way, no longer running.
    const state = await readFile(`/proc/${pid}/stat`, 'utf8').then(
      (t) => t.split(') ')[1][0],
      () => 'gone',
    );
    expect(['gone', 'Z']).toContain(state);
  });
});

/** A corpus folder with just the short document, so the clean-up build is quick. */
async function islandOnly(root: string): Promise<string> {
  const dir = path.join(root, 'island-only');
  await writeCorpus(dir, { 'island.txt': PARAGRAPHS.join('\n\n') });
  return path.join(dir, 'corpus');
}

/** A build's end as `build --json` reports it: done, or refused with a catalogue code. */
const built: BuildEnd = { outcome: { ok: true, index: 'v2', upToDate: false, documents: 1, passages: 3, embedded: 3, skipped: 0 } };
const refusedWith = (code: string, message: string): BuildEnd => ({ outcome: { ok: false, error: { code, message } } });

describe('the background reindexer', () => {
  it('folds a burst of requests into one build, queues one during a build, and keeps failures visible', async () => {
    const config = loadConfig({}, {});
    let builds = 0;
    let fail = false;
    let reloads = 0;
    const reindexer = createReindexer({
      config,
      debounceMs: 30,
      build: () => {
        builds++;
        const done = new Promise<BuildEnd>((r) => setTimeout(() => r(fail ? refusedWith('CORPUS_EMPTY', 'nothing to index') : built), 50));
        return { pid: null, done, stop: async () => undefined };
      },
      reload: async () => {
        reloads++;
      },
    });
    for (let i = 0; i < 5; i++) reindexer.request('burst');
    await reindexer.idle();
    expect(builds).toBe(1);
    expect(reloads).toBe(1);

    reindexer.request('first');
    await new Promise((r) => setTimeout(r, 50)); // now running
    expect(reindexer.status().running).toBe(true);
    reindexer.request('during');
    await reindexer.idle();
    expect(builds).toBe(3);

    fail = true;
    reindexer.request('broken');
    await reindexer.idle();
    expect(reloads).toBe(3);
    expect(reindexer.status().lastError).toMatchObject({ message: 'nothing to index', code: 'CORPUS_EMPTY' });
    await reindexer.close();
  });
});

describe('the background reindexer at its limits', () => {
  it('tries a build refused with BUILD_IN_PROGRESS again, until it runs', async () => {
    let attempts = 0;
    let reloads = 0;
    const reindexer = createReindexer({
      config: loadConfig({}, {}),
      retryMs: 30,
      build: () => {
        attempts++;
        const refused = attempts < 3;
        return {
          pid: null,
          done: Promise.resolve(refused ? refusedWith('BUILD_IN_PROGRESS', 'Another build of index is running (pid 4242).') : built),
          stop: async () => undefined,
        };
      },
      reload: async () => void reloads++,
    });
    reindexer.request('edit');
    // Idle once no build runs and none waits: the refusals' retries included.
    await reindexer.idle();
    expect(attempts).toBe(3);
    expect(reloads).toBe(1);
    expect(reindexer.status().lastError).toBeNull();
    await reindexer.close();
  });

  /** A build that never ends by itself; `stopped` counts the times it was stopped. */
  const hanging = () => {
    const counts = { started: 0, stopped: 0 };
    const build = () => {
      counts.started++;
      let end!: (r: BuildEnd) => void;
      const done = new Promise<BuildEnd>((r) => (end = r));
      return {
        pid: null,
        done,
        stop: async () => {
          counts.stopped++;
          end({ code: null, message: 'the build was stopped by SIGTERM' });
        },
      };
    };
    return { counts, build };
  };

  it('stops a build that runs past its limit, reports it, and runs the next one', async () => {
    const { counts, build } = hanging();
    const reindexer = createReindexer({ config: loadConfig({}, {}), timeoutMs: 100, build, reload: async () => undefined });
    reindexer.request('first');
    await reindexer.idle();
    expect(counts).toEqual({ started: 1, stopped: 1 });
    expect(reindexer.status().lastError?.message).toMatch(/past its limit of 100 ms/);
    reindexer.request('second');
    await reindexer.idle();
    expect(counts.started).toBe(2);
    await reindexer.close();
  });

  it('close() stops the running build, starts no queued one, and ignores later requests', async () => {
    const { counts, build } = hanging();
    let reloads = 0;
    const reindexer = createReindexer({ config: loadConfig({}, {}), build, reload: async () => void reloads++ });
    reindexer.request('first');
    await new Promise((r) => setTimeout(r, 20));
    reindexer.request('queued');
    await new Promise((r) => setTimeout(r, 20));
    expect(reindexer.status()).toMatchObject({ running: true, queued: true });
    await reindexer.close();
    expect(counts).toEqual({ started: 1, stopped: 1 });
    reindexer.request('after close');
    await new Promise((r) => setTimeout(r, 20));
    expect(counts.started).toBe(1);
    expect(reloads).toBe(0);
    expect(reindexer.status()).toMatchObject({ running: false, queued: false });
  });
});
