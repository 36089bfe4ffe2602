// The index changed by the document is the index built anew: after 200 edits (files added, edited and removed in the
// folder, documents put and deleted over the API), `build --force` gives the same hits, scores and threshold.
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSettings, loadConfig, searchSettings } from '../../src/config.js';
import { readCorpus } from '../../src/ingest/corpus.js';
import { syncFolder } from '../../src/index/build.js';
import { changeDocuments } from '../../src/index/documents.js';
import { createFilesStore } from '../../src/index/files/files-store.js';
import { currentCommit } from '../../src/index/files/commits.js';
import type { Embedder } from '../../src/model/embedder.js';
import { createSearchEngine } from '../../src/search/engine.js';
import { search } from '../../src/search/search.js';
import { realEmbedder, removeDir, tempDir, writeCorpus } from '../helpers/real.js';

const EDITS = 200;

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SUBJECTS = [
  'The ferry',
  'A lighthouse keeper',
  'The harbour master',
  'An old fisherman',
  'The baker',
  'A puffin colony',
  'The island school',
  'The winter storm',
];
const VERBS = ['crossed', 'watched', 'repaired', 'counted', 'painted', 'visited', 'flooded', 'guarded'];
const OBJECTS = [
  'the northern cliffs',
  'the stone pier',
  'the village church',
  'the salt marsh',
  'the copper bell',
  'the fog signal',
  'the grain store',
  'the tidal pool',
];
const TIMES = ['in January', 'after the thaw', 'every summer', 'before dawn', 'in 1987', 'during the gale', 'at low tide', 'on Sundays'];

const QUESTIONS = [
  'who repaired the stone pier',
  'what happened during the gale',
  'when was the fog signal painted',
  'the baker visited the village church',
  'puffin colony on the northern cliffs',
  'what flooded the salt marsh at low tide',
  'harbour master copper bell',
  'which school crossed the tidal pool',
];

function paragraph(next: () => number, n = 3): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)];
  return Array.from({ length: n }, () => `${pick(SUBJECTS)} ${pick(VERBS)} ${pick(OBJECTS)} ${pick(TIMES)}.`).join(' ');
}

describe('the incremental index and a full rebuild', () => {
  let root: string;
  let embedder: Embedder;
  beforeAll(async () => {
    root = await tempDir();
    embedder = await realEmbedder();
  });
  afterAll(() => removeDir(root));

  it(`give the same hits after ${EDITS} changes by the document, through merges of segments`, async () => {
    const next = random(20261206);
    const files: Record<string, string[]> = {};
    for (let i = 0; i < 6; i++) files[`notes/file-${i}.txt`] = [paragraph(next), paragraph(next)];
    const corpusDir = await writeCorpus(root, Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.join('\n\n')])));
    const config = loadConfig({ CORPUS_DIR: corpusDir, CHUNK_WORDS: 40, CHUNK_OVERLAP: 10 }, {});
    const indexDir = path.join(root, 'index');
    const store = createFilesStore(indexDir);
    const options = { store, ...buildSettings(config) };
    const model = async () => embedder;
    const sync = async () => syncFolder(await readCorpus(corpusDir), model, { ...options, incrementalOnly: true });
    await syncFolder(await readCorpus(corpusDir), model, options);

    const api = new Set<string>();
    let fileCount = 6;
    const kinds = { edit: 0, add: 0, remove: 0, put: 0, delete: 0 };
    for (let step = 0; step < EDITS; step++) {
      const roll = next();
      const names = Object.keys(files);
      if (roll < 0.45 || (roll < 0.6 && names.length < 2)) {
        const name = names[Math.floor(next() * names.length)];
        const paragraphs = files[name];
        paragraphs[Math.floor(next() * paragraphs.length)] = paragraph(next);
        if (next() < 0.3) paragraphs.push(paragraph(next, 2));
        await writeFile(path.join(corpusDir, name), paragraphs.join('\n\n'));
        kinds.edit++;
      } else if (roll < 0.6) {
        const name = names[Math.floor(next() * names.length)];
        delete files[name];
        await rm(path.join(corpusDir, name));
        kinds.remove++;
      } else if (roll < 0.72) {
        const name = `notes/file-${fileCount++}.txt`;
        files[name] = [paragraph(next), paragraph(next)];
        await writeFile(path.join(corpusDir, name), files[name].join('\n\n'));
        kinds.add++;
      } else if (roll < 0.9 || api.size === 0) {
        const source = `api/doc-${Math.floor(next() * 12)}.md`;
        await changeDocuments([{ source, bytes: Buffer.from(`# Note ${source}\n\n${paragraph(next)}\n\n${paragraph(next)}`) }], model, {
          ...options,
          maxBytes: 1e6,
        });
        api.add(source);
        kinds.put++;
        continue;
      } else {
        const source = [...api][Math.floor(next() * api.size)];
        await changeDocuments([{ source }], model, { ...options, maxBytes: 1e6 });
        api.delete(source);
        kinds.delete++;
        continue;
      }
      const result = await sync();
      expect(result.needsRebuild).toBeFalsy();
    }
    // Every kind of change happened, and merges kept the segments few.
    for (const count of Object.values(kinds)) expect(count).toBeGreaterThan(5);
    const before = (await currentCommit(indexDir))!.commit.segments;

    const answers = async () => {
      const reader = await store.open({ expect: embedder, efSearch: 100 });
      const engine = createSearchEngine(reader, embedder, searchSettings(config));
      const out = [];
      for (const q of QUESTIONS) {
        const r = await search(engine, q, { k: 10 });
        out.push({ q, threshold: r.threshold, hits: r.hits.map((h) => ({ id: h.id, score: h.score, highlight: h.highlight?.text })) });
      }
      return { out, manifest: reader.manifest };
    };
    const incremental = await answers();
    const rebuilt = await syncFolder(await readCorpus(corpusDir), model, { ...options, force: true });
    expect(rebuilt.rebuilt).toBe(true);
    expect(rebuilt.embedded).toBe(0); // every sentence's vector was reused from the incremental index
    const full = await answers();

    expect(full.manifest.documents.map((d) => [d.source, d.sha256, d.passages])).toEqual(
      incremental.manifest.documents.map((d) => [d.source, d.sha256, d.passages]),
    );
    expect(
      full.manifest.documents
        .filter((d) => d.origin === 'api')
        .map((d) => d.source)
        .sort(),
    ).toEqual([...api].sort());
    expect(full.manifest.passages).toBe(incremental.manifest.passages);
    for (let i = 0; i < QUESTIONS.length; i++) {
      expect(
        full.out[i].hits.map((h) => h.id),
        QUESTIONS[i],
      ).toEqual(incremental.out[i].hits.map((h) => h.id));
      expect(full.out[i].hits.map((h) => h.highlight)).toEqual(incremental.out[i].hits.map((h) => h.highlight));
      full.out[i].hits.forEach((h, j) => expect(h.score).toBeCloseTo(incremental.out[i].hits[j].score, 5));
      expect(full.out[i].threshold).toBeCloseTo(incremental.out[i].threshold, 5);
    }
    expect(full.out.every((o) => o.hits.length > 0)).toBe(true);
    // The rebuild is one segment with nothing deleted; the incremental index was several, with tombstones.
    expect((await currentCommit(indexDir))!.commit.segments).toEqual([{ name: expect.any(String), deleted: [] }]);
    expect(before.length).toBeGreaterThan(1);
    expect(before.some((s) => s.deleted.length > 0)).toBe(true);
  });
});
