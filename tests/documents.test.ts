// The documents people have, end to end: a folder of a web page with boilerplate, a two-page PDF, a Word file,
// Markdown with front matter, a Latin-1 text and a CSV, built by the real command with the real model, then searched
// over HTTP. Each answer sits in one format only.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createApp } from '../src/http/app.js';
import type { PassageRecord } from '../src/index/store.js';
import { createService, type Service } from '../src/live/service.js';
import { writeMixedCorpus } from './helpers/documents.js';
import { allPassages, realEmbedder, removeDir, tempDir } from './helpers/real.js';
import { runBuild } from './helpers/server.js';

const LIMITS = { maxQueryChars: 500, defaultK: 5, maxK: 50, maxBodyBytes: 4096 };

describe('a corpus of every format', () => {
  let root: string;
  let output: string;
  let service: Service;
  let app: ReturnType<typeof createApp>;
  let passages: PassageRecord[];
  const get = async (url: string) => {
    const res = await app.request(url);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { hits: Record<string, unknown>[] } };
  };

  beforeAll(async () => {
    root = await tempDir();
    const corpus = path.join(root, 'corpus');
    await writeMixedCorpus(corpus);
    const env = { CORPUS_DIR: corpus, INDEX_DIR: path.join(root, 'index'), LOG_LEVEL: 'info' };
    output = await runBuild(env);
    service = await createService(loadConfig(env, {}), await realEmbedder());
    app = createApp({ engine: () => service.engine(), health: () => service.health(), readDocument: (s) => service.readDocument(s), limits: LIMITS });
    passages = await allPassages(service.engine());
  }, 120_000);
  afterAll(async () => {
    await service?.close();
    await removeDir(root);
  });

  it('builds, naming the unsupported file and its reason on the terminal and in the JSON log', () => {
    expect(output).toMatch(/Indexed 5 document\(s\) \(5 read, 0 unchanged\)/);
    expect(output).toContain('Skipped 1 file(s):\n  data/prices.csv — unsupported type (.csv)\n');
    const logged = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toContainEqual(expect.objectContaining({ event: 'corpus.skipped', source: 'data/prices.csv', code: 'unsupported' }));
  });

  it("answers a question answered only on the PDF's second page with that PDF first, on page 2, under its title", async () => {
    const { body } = await get(`/search?q=${encodeURIComponent('When was the cider press at Holloway Farm rebuilt?')}`);
    expect(body.hits[0]).toMatchObject({ source: 'reports/orchard-report.pdf', page: 2, title: 'Orchard report 2026' });
    expect((body.hits[0].highlight as { text: string }).text).toBe(
      'The cider press at Holloway Farm was rebuilt in 1887 after a fire destroyed the old oak screw.',
    );
  });

  it("keeps the web page's boilerplate out of every passage and the Markdown's markup out of passages and highlights", async () => {
    const all = passages.map((p) => p.text).join('\n');
    for (const word of ['Shop our catalogue', 'cookies', 'newsletter', 'Copyright', 'Subscribe', 'window.analytics']) expect(all).not.toContain(word);
    for (const markup of ['**', '](', '---', 'title:', '`']) expect(all).not.toContain(markup);
    const { body } = await get(`/search?q=${encodeURIComponent('what joins a scion to a rootstock?')}`);
    expect(body.hits[0]).toMatchObject({ source: 'notes/grafting.md', title: 'Grafting notes', section: 'Whip and tongue' });
    expect(JSON.stringify(body.hits)).not.toMatch(/\*\*|\]\(/);
  });

  it('reads the Latin-1 text as the words it holds', async () => {
    const recipe = passages.find((p) => p.source === 'notes/recettes.txt')!;
    expect(recipe.text).toBe('Crème brûlée à la poire : le pâtissier français préfère des poires mûres, pelées et pochées à feu très doux.');
    const { body } = await get(`/search?q=${encodeURIComponent('crème brûlée à la poire')}`);
    expect(body.hits[0].source).toBe('notes/recettes.txt');
  });

  it("gives the Word file's sections, and the web page's title and sections", async () => {
    expect(passages.find((p) => p.text.startsWith('The committee approved'))).toMatchObject({ source: 'reports/budget.docx', section: 'Equipment' });
    const { body } = await get(`/search?q=${encodeURIComponent('why wrap each pear in newspaper')}`);
    expect(body.hits[0]).toMatchObject({ source: 'pages/pears.html', title: 'Keeping pears through winter', section: 'Wrapping' });
  });

  it('searches within reports/**: only its hits, k of them when that many exist', async () => {
    const { body } = await get(`/search?k=3&source=${encodeURIComponent('reports/**')}&q=${encodeURIComponent('how are pears kept over winter')}`);
    expect(body.hits).toHaveLength(3);
    expect(body.hits.every((h) => String(h.source).startsWith('reports/'))).toBe(true);
  });

  it('says in /health how many files were skipped', () => {
    expect(service.health().index).toMatchObject({ documents: 5, skipped: 1 });
  });

  it('shows the extracted text in /view with the passage marked, the title and the page', async () => {
    const hit = passages.find((p) => p.page === 2)!;
    const res = await app.request(`/view?source=${encodeURIComponent(hit.source)}&start=${hit.start}&end=${hit.end}`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('<h1>Orchard report 2026</h1>');
    expect(html).toContain('reports/orchard-report.pdf · page 2 of 2');
    expect(html).toContain(`<mark id="hit" tabindex="-1">${hit.text}</mark>`);
    // The PDF's bytes are not what /view shows: the text the offsets point into is.
    expect(await readFile(path.join(root, 'corpus', hit.source), 'latin1')).not.toContain(hit.text);
  });
});
