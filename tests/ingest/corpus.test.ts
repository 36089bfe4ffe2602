import { execFileSync } from 'node:child_process';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCorpus } from '../../src/ingest/corpus.js';
import { extractCorpus } from '../../src/ingest/extract.js';
import { readRegularFile } from '../../src/ingest/files.js';
import { buildReal, removeDir, tempDir } from '../helpers/real.js';

/** The corpus folder read and its files' text extracted, as a build does with nothing to reuse. */
async function documentsIn(dir: string) {
  const corpus = await readCorpus(dir);
  return { ...(await extractCorpus(corpus, new Map())), hash: corpus.hash, files: corpus.files };
}

describe('readCorpus', () => {
  let root: string;
  let corpus: string;

  beforeAll(async () => {
    root = await tempDir();
    corpus = path.join(root, 'corpus');
    await mkdir(path.join(corpus, 'sub'), { recursive: true });
    await writeFile(path.join(corpus, 'b.txt'), 'Second.\r\nLine two.');
    await writeFile(path.join(corpus, 'a.md'), '# First');
    await writeFile(path.join(corpus, 'sub', 'c.txt'), 'Nested.');
    await writeFile(path.join(corpus, 'image.png'), 'not text');
    await writeFile(path.join(corpus, '.hidden.txt'), 'hidden');
    await writeFile(path.join(corpus, 'empty.txt'), '  \n');
    await writeFile(path.join(corpus, 'binary.txt'), Buffer.from([0x68, 0x00, 0x69]));
    await writeFile(path.join(root, 'outside.txt'), 'secret outside the corpus');
    await symlink(path.join(root, 'outside.txt'), path.join(corpus, 'escape.txt'));
    await symlink(root, path.join(corpus, 'up'));
    await symlink(path.join(corpus, 'sub', 'c.txt'), path.join(corpus, 'inside-link.txt'));
  });
  afterAll(() => removeDir(root));

  it('reads the files of known formats recursively, in order, with normalised line ends; names every other', async () => {
    const c = await documentsIn(corpus);
    const sources = c.documents.map((d) => d.source);
    expect(sources).toContain('a.md');
    expect(sources).toContain('sub/c.txt');
    expect(sources).toEqual([...sources].sort());
    expect(c.documents.find((d) => d.source === 'b.txt')!.text).toBe('Second.\nLine two.');
    expect(sources).not.toContain('image.png');
    expect(sources).not.toContain('.hidden.txt');
    expect(sources).not.toContain('empty.txt');
    expect(c.skipped).toContainEqual({ source: 'image.png', code: 'unsupported', reason: 'unsupported type (.png)' });
    // A file read and found to give no text keeps the hash of its bytes: the same bytes are not read again.
    expect(c.skipped).toContainEqual({ source: 'empty.txt', code: 'empty', reason: 'no text', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // Hidden files are never read, and not listed.
    expect(c.skipped.map((s) => s.source)).not.toContain('.hidden.txt');
  });

  it('never leaves the corpus folder through links, and follows links that stay inside', async () => {
    const c = await documentsIn(corpus);
    expect(c.documents.map((d) => d.text).join()).not.toContain('secret outside');
    expect(c.skipped).toContainEqual({ source: 'escape.txt', code: 'link', reason: 'a link leading outside the corpus folder' });
    expect(c.skipped).toContainEqual({ source: 'up', code: 'link', reason: 'a link leading outside the corpus folder' });
    expect(c.documents.map((d) => d.source)).not.toContain('up/outside.txt');
    // A link inside the folder leads to a file read once, under its own name.
    expect(c.documents.map((d) => d.source)).not.toContain('inside-link.txt');
    expect(c.documents.filter((d) => d.source === 'sub/c.txt')).toHaveLength(1);
  });

  it('walks links that point back at their own folder, or at each other, and reads each file once', async () => {
    const loops = path.join(root, 'loops');
    await mkdir(path.join(loops, 'a', 'b'), { recursive: true });
    await writeFile(path.join(loops, 'a', 'b', 'deep.txt'), 'Deep down.');
    await writeFile(path.join(loops, 'top.txt'), 'On top.');
    await symlink(path.join(loops, 'a'), path.join(loops, 'a', 'b', 'back-to-a'));
    await symlink(loops, path.join(loops, 'a', 'to-root'));
    await symlink('.', path.join(loops, 'a', 'b', 'self'));
    await symlink(path.join(loops, 'a', 'b', 'deep.txt'), path.join(loops, 'copy.txt'));
    await symlink(path.join(loops, 'nowhere.txt'), path.join(loops, 'broken.txt'));
    const c = await documentsIn(loops);
    expect(c.documents.map((d) => d.source)).toEqual(['a/b/deep.txt', 'top.txt']);
    expect(c.skipped).toEqual([{ source: 'broken.txt', code: 'link', reason: 'a link to nothing' }]);
    const { manifest } = await buildReal(path.join(root, 'loops-build'), loops);
    expect(manifest.documents.map((d) => d.source)).toEqual(['a/b/deep.txt', 'top.txt']);
    expect(manifest.passages).toBe(2);
  });

  it('skips binary files with a reason instead of failing', async () => {
    const c = await documentsIn(corpus);
    expect(c.skipped).toContainEqual({ source: 'binary.txt', code: 'binary', reason: expect.stringMatching(/^binary/), sha256: expect.any(String) });
  });

  it('hashes equal corpora equally and different ones differently', async () => {
    const a = await readCorpus(corpus);
    expect((await readCorpus(corpus)).hash).toBe(a.hash);
    await writeFile(path.join(corpus, 'a.md'), '# First, edited');
    const edited = await readCorpus(corpus);
    expect(edited.hash).not.toBe(a.hash);
    // A new file the build skips changes the hash too: the build's list of skipped files must name it.
    await writeFile(path.join(corpus, 'prices.csv'), 'a,b\n1,2\n');
    expect((await readCorpus(corpus)).hash).not.toBe(edited.hash);
    await rm(path.join(corpus, 'prices.csv'));
  });

  it('says CORPUS_MISSING and CORPUS_EMPTY', async () => {
    await expect(readCorpus(path.join(root, 'nope'))).rejects.toMatchObject({ code: 'CORPUS_MISSING' });
    const empty = path.join(root, 'empty');
    await mkdir(empty);
    await expect(readCorpus(empty)).rejects.toMatchObject({ code: 'CORPUS_EMPTY' });
    // Files, but none of a format read: empty too, each named.
    await writeFile(path.join(empty, 'prices.csv'), 'a,b\n');
    await expect(readCorpus(empty)).rejects.toMatchObject({ code: 'CORPUS_EMPTY' });
  });

  it("skips binary content without NUL bytes, and a FIFO in a document's place, each with its reason", async () => {
    const odd = path.join(root, 'odd');
    await mkdir(odd);
    await writeFile(path.join(odd, 'notes.txt'), 'Plain text about harbours.');
    // Random bytes with no NUL: not UTF-8, full of control characters.
    const noise = Buffer.from(Array.from({ length: 4096 }, (_, i) => 1 + ((i * 7919 + 13) % 255)));
    await writeFile(path.join(odd, 'noise.txt'), noise);
    execFileSync('mkfifo', [path.join(odd, 'pipe.txt')]);
    const c = await documentsIn(odd);
    expect(c.documents.map((d) => d.source)).toEqual(['notes.txt']);
    expect(c.skipped).toContainEqual({ source: 'noise.txt', code: 'binary', reason: expect.stringMatching(/^binary/), sha256: expect.any(String) });
    // A FIFO is not a regular file: the walk names it and nothing blocks on it.
    expect(c.skipped).toContainEqual({ source: 'pipe.txt', code: 'not-a-file', reason: 'not a regular file' });
    expect(await readRegularFile(path.join(odd, 'pipe.txt'))).toEqual({ skipped: 'not a regular file', code: 'not-a-file' });
  });

  it("holds no file's bytes after the walk, and names a file removed before it is read", async () => {
    const dir = path.join(root, 'going');
    await mkdir(dir);
    await writeFile(path.join(dir, 'stays.txt'), 'This file stays.');
    await writeFile(path.join(dir, 'goes.txt'), 'This file goes.');
    const corpus = await readCorpus(dir);
    expect(corpus.files.map((f) => [f.source, f.bytes])).toEqual([
      ['goes.txt', undefined],
      ['stays.txt', undefined],
    ]);
    await rm(path.join(dir, 'goes.txt'));
    const read = await extractCorpus(corpus, new Map());
    expect(read.documents.map((d) => d.text)).toEqual(['This file stays.']);
    expect(read.skipped).toEqual([{ source: 'goes.txt', code: 'removed', reason: 'removed while being read' }]);
  });

  it('never fails because folders vanish while it walks', async () => {
    for (let round = 0; round < 5; round++) {
      const shifting = path.join(root, `shifting-${round}`);
      for (let i = 0; i < 60; i++) {
        await mkdir(path.join(shifting, `d${i}`, 'inner'), { recursive: true });
        await writeFile(path.join(shifting, `d${i}`, 'inner', 'a.txt'), `Folder ${i}.`);
      }
      await writeFile(path.join(shifting, 'stays.txt'), 'This file stays.');
      const walking = readCorpus(shifting);
      await Promise.all(Array.from({ length: 60 }, (_, i) => rm(path.join(shifting, `d${i}`), { recursive: true, force: true })));
      const c = await walking;
      expect(c.files.map((d) => d.source)).toContain('stays.txt');
    }
  });
});

describe('readCorpus with the hashes of an earlier read', () => {
  it('hashes a file again whenever it was written, even to the same size with its times set back', async () => {
    const { createHash } = await import('node:crypto');
    const { stat, utimes } = await import('node:fs/promises');
    const root = await tempDir();
    try {
      const dir = path.join(root, 'corpus');
      await mkdir(dir);
      const file = path.join(dir, 'note.txt');
      await writeFile(file, 'The ferry left at nine.');
      await writeFile(path.join(dir, 'other.txt'), 'The pier is stone.');
      const hashes = new Map();
      const sha = (text: string) => createHash('sha256').update(text).digest('hex');
      const first = await readCorpus(dir, { hashes });
      expect(first.files.map((f) => f.sha256)).toEqual([sha('The ferry left at nine.'), sha('The pier is stone.')]);
      expect([...hashes.keys()].map((f) => path.basename(f))).toEqual(['note.txt', 'other.txt']);
      // The same bytes' length, and the modification time put back as it was: the change time still moved.
      const before = await stat(file);
      await new Promise((r) => setTimeout(r, 20));
      await writeFile(file, 'The ferry left at noon.');
      await utimes(file, before.atime, before.mtime);
      const second = await readCorpus(dir, { hashes });
      expect(second.files[0].sha256).toBe(sha('The ferry left at noon.'));
      expect(second.hash).not.toBe(first.hash);
      // What did not change keeps its hash; a file removed leaves the map.
      await rm(path.join(dir, 'other.txt'));
      const third = await readCorpus(dir, { hashes });
      expect(third.files.map((f) => f.source)).toEqual(['note.txt']);
      expect([...hashes.keys()].map((f) => path.basename(f))).toEqual(['note.txt']);
      expect(third.files[0].sha256).toBe(sha('The ferry left at noon.'));
    } finally {
      await removeDir(root);
    }
  });
});
