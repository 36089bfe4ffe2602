// A folder the build may not list is skipped like an unreadable file, and a document's
// hash is the hash of the bytes its text was read from, so a file edited during a build and then restored is read
// again by the next build.
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndexOf, upToDateManifest, type BuildOptions } from '../../src/index/build.js';
import { createFilesStore } from '../../src/index/files/files-store.js';
import { corpusOf, documentOf, readCorpus } from '../../src/ingest/corpus.js';
import { asRead, extractCorpus } from '../../src/ingest/extract.js';
import { fixedEmbedder } from '../helpers/fixed-embedder.js';
import { removeDir, tempDir } from '../helpers/real.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

let root: string;
beforeAll(async () => {
  root = await tempDir();
});
afterAll(async () => {
  await chmod(path.join(root, 'walk', 'locked'), 0o755).catch(() => undefined);
  await removeDir(root);
});

describe('the walk', () => {
  it('skips a folder it may not list, with its reason, and reads the rest', async () => {
    const dir = path.join(root, 'walk');
    await mkdir(path.join(dir, 'locked'), { recursive: true });
    await writeFile(path.join(dir, 'locked', 'secret.txt'), 'Behind a locked door.');
    await writeFile(path.join(dir, 'open.txt'), 'In the open.');
    await chmod(path.join(dir, 'locked'), 0o000);
    // Root lists a folder of mode 000 all the same (the tests run as root): the refusal a user gets is given here.
    const listDir = async (folder: string): Promise<Dirent[]> => {
      if (folder === path.join(dir, 'locked')) throw Object.assign(new Error(`EACCES: permission denied, scandir '${folder}'`), { code: 'EACCES' });
      return readdir(folder, { withFileTypes: true });
    };
    const corpus = await readCorpus(dir, { listDir });
    expect(corpus.files.map((f) => f.source)).toEqual(['open.txt']);
    expect(corpus.skipped).toEqual([{ source: 'locked', code: 'unreadable', reason: 'unreadable folder (EACCES)' }]);
    // Any other failure to list is a skip too, never the build's failure; the corpus folder itself included.
    const failing = async (): Promise<Dirent[]> => {
      throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    };
    await expect(readCorpus(dir, { listDir: failing })).rejects.toMatchObject({
      code: 'CORPUS_EMPTY',
      message: expect.stringContaining('. (unreadable folder (EIO))'),
    });
  });
});

describe('hashing what is read', () => {
  it("gives a document the hash of the bytes its text came from, and the corpus as read the folder's hash", async () => {
    const dir = path.join(root, 'edited');
    await mkdir(dir);
    await writeFile(path.join(dir, 'note.txt'), 'Original words.');
    await writeFile(path.join(dir, 'other.txt'), 'Other words.');
    const corpus = await readCorpus(dir);
    // Edited after the walk hashed it, before it is read.
    await writeFile(path.join(dir, 'note.txt'), 'Edited words.');
    const read = await extractCorpus(corpus, new Map());
    expect(read.documents.map((d) => [d.source, d.text, d.sha256])).toEqual([
      ['note.txt', 'Edited words.', sha('Edited words.')],
      ['other.txt', 'Other words.', sha('Other words.')],
    ]);
    expect(read.reread).toEqual(new Map([['note.txt', sha('Edited words.')]]));
    // The corpus as read is the folder as it is, not as the walk saw it.
    const seen = asRead(corpus, read.reread);
    expect(seen.files.find((f) => f.source === 'note.txt')!.sha256).toBe(sha('Edited words.'));
    expect(seen.hash).toBe((await readCorpus(dir)).hash);
    expect(seen.hash).not.toBe(corpus.hash);
  });

  it('names a file that kept changing while read as changed, keeping no hash for it', () => {
    const corpus = corpusOf([documentOf('a.txt', 'A.'), documentOf('b.txt', 'B.')]);
    const seen = asRead(corpus, new Map([['b.txt', null]]));
    expect(seen.files.map((f) => f.source)).toEqual(['a.txt']);
    expect(seen.skipped).toEqual([{ source: 'b.txt', code: 'changed', reason: 'changed while being read (left for the next build)' }]);
    expect(seen.hash).not.toBe(corpusOf([documentOf('a.txt', 'A.')]).hash);
  });

  it('leaves no build up to date with text read from other bytes than the folder holds (edited during a build, then restored)', async () => {
    const dir = path.join(root, 'restored');
    await mkdir(dir);
    await writeFile(path.join(dir, 'note.txt'), 'Original words.');
    const embedder = fixedEmbedder({ 'Original words.': [1, 0, 0, 0], 'Edited words.': [0, 1, 0, 0] }, {});
    const options: BuildOptions = {
      store: createFilesStore(path.join(root, 'restored-index')),
      model: 'fixed',
      chunking: { words: 12, overlap: 4, maxTokens: 64 },
      hnsw: { M: 16, efConstruction: 100 },
    };
    const corpus = await readCorpus(dir);
    await writeFile(path.join(dir, 'note.txt'), 'Edited words.');
    const { manifest } = await buildIndexOf(embedder, corpus, options);
    expect(manifest.documents.map((d) => d.sha256)).toEqual([sha('Edited words.')]);
    await writeFile(path.join(dir, 'note.txt'), 'Original words.');
    // The folder is back as the walk saw it: the next build must read it again, not say it is up to date.
    expect(await upToDateManifest((await readCorpus(dir)).hash, options)).toBeNull();
    // Left as edited, the build is up to date.
    await writeFile(path.join(dir, 'note.txt'), 'Edited words.');
    expect(await upToDateManifest((await readCorpus(dir)).hash, options)).not.toBeNull();
  });
});
