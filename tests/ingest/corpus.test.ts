import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCorpus } from '../../src/ingest/corpus.js';
import { removeDir, tempDir } from '../helpers/real.js';

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

  it('reads .txt and .md files recursively, in order, with normalised line ends', async () => {
    const c = await readCorpus(corpus);
    const sources = c.documents.map((d) => d.source);
    expect(sources).toContain('a.md');
    expect(sources).toContain('sub/c.txt');
    expect(sources).toEqual([...sources].sort());
    expect(c.documents.find((d) => d.source === 'b.txt')!.text).toBe('Second.\nLine two.');
    expect(sources).not.toContain('image.png');
    expect(sources).not.toContain('.hidden.txt');
    expect(sources).not.toContain('empty.txt');
  });

  it('never leaves the corpus folder through links, and follows links that stay inside', async () => {
    const c = await readCorpus(corpus);
    expect(c.documents.map((d) => d.text).join()).not.toContain('secret outside');
    expect(c.skipped).toContainEqual({ source: 'escape.txt', reason: 'a link leading outside the corpus folder' });
    expect(c.skipped).toContainEqual({ source: 'up', reason: 'a link leading outside the corpus folder' });
    expect(c.documents.map((d) => d.source)).toContain('inside-link.txt');
  });

  it('skips binary files with a reason instead of failing', async () => {
    const c = await readCorpus(corpus);
    expect(c.skipped).toContainEqual({ source: 'binary.txt', reason: 'binary (it holds NUL bytes)' });
  });

  it('hashes equal corpora equally and different ones differently', async () => {
    const a = await readCorpus(corpus);
    expect((await readCorpus(corpus)).hash).toBe(a.hash);
    await writeFile(path.join(corpus, 'a.md'), '# First, edited');
    expect((await readCorpus(corpus)).hash).not.toBe(a.hash);
  });

  it('says CORPUS_MISSING and CORPUS_EMPTY', async () => {
    await expect(readCorpus(path.join(root, 'nope'))).rejects.toMatchObject({ code: 'CORPUS_MISSING' });
    const empty = path.join(root, 'empty');
    await mkdir(empty);
    await expect(readCorpus(empty)).rejects.toMatchObject({ code: 'CORPUS_EMPTY' });
  });
});
