import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { fileOf, corpusOf } from '../../src/ingest/corpus.js';
import { createLocator, createTextBuilder, type ExtractedDocument } from '../../src/ingest/document.js';
import { extractCorpus, extractFile, reuseKey } from '../../src/ingest/extract.js';
import { extractHtml } from '../../src/ingest/formats/html.js';
import { extractMarkdown } from '../../src/ingest/formats/markdown.js';
import { decodeText } from '../../src/ingest/formats/text.js';
import { docxBytes, latin1, pdfBytes, pdfWithoutText, utf16, webPage } from '../helpers/documents.js';

const ARTICLE = `<h1>Keeping pears</h1>
  <p>Late pears are picked hard and green, then ripened slowly in a cool dark cellar where they keep until February. The orchard keepers note the weather each morning and the fruit each evening.</p>
  <h2>Wrapping</h2>
  <p>Each pear is wrapped in a square of newspaper so that one rotten fruit cannot spoil its neighbours on the rack. Growers check the racks every week and take out any fruit that softens.</p>
  <ul><li>Conference keeps till Christmas.</li><li>Comice keeps till January.</li></ul>
  <table><tr><th>Variety</th><th>Month</th></tr><tr><td>Concorde</td><td>February</td></tr></table>`;

/** Every word a page's chrome holds in `webPage`, none of which may reach the text. */
const CHROME_WORDS = [
  'Shop our catalogue',
  'About the company',
  'Evergreen Gazette',
  'cookies',
  'newsletter',
  'discount codes',
  'Copyright',
  'analytics',
  'font-family',
];

describe('HTML', () => {
  it('keeps the article and its title, and leaves out navigation, banners, boxes and footers', () => {
    const page = extractHtml(webPage('Keeping pears | Evergreen Gazette', ARTICLE));
    for (const word of CHROME_WORDS) expect(page.text).not.toContain(word);
    expect(page.text).toContain('Late pears are picked hard and green');
    expect(page.text).toContain('Conference keeps till Christmas.\n\nComice keeps till January.');
    expect(page.text).toContain('Concorde · February');
    expect(page.title).toBe('Keeping pears | Evergreen Gazette');
    const wrapping = page.sections!.find((s) => s.heading === 'Wrapping')!;
    expect(page.text.slice(wrapping.start, wrapping.start + 'Wrapping'.length)).toBe('Wrapping');
    // Blocks are separated by one blank line, and no block holds one.
    expect(page.text).not.toMatch(/\n{3}/);
  });

  it('reads the whole body, still without chrome, when there is no article to find', () => {
    const page = extractHtml(
      '<html><head><title>Note</title></head><body><nav>Home · Shop</nav><div>Bring the ladder<br>on Tuesday.</div><footer>Copyright nobody</footer></body></html>',
    );
    expect(page.text).toBe('Bring the ladder on Tuesday.');
    expect(page.title).toBe('Note');
    // A fragment without <html> or <body>, as HTML allows.
    expect(extractHtml('<title>Snippet</title><meta charset="utf-8"><p>Water the figs</p><p>at dusk.</p>')).toEqual({
      text: 'Water the figs\n\nat dusk.',
      title: 'Snippet',
    });
    expect(extractHtml('<p>Only a paragraph.</p>')).toEqual({ text: 'Only a paragraph.' });
  });
});

describe('PDF', () => {
  it('gives each page its text, where each page starts, and the title of its metadata', async () => {
    const pdf = await pdfBytes([['The first page speaks of apples.', 'A second paragraph on the first page.'], ['The second page speaks of pears.']], {
      title: 'Fruit report',
    });
    const got = await extractFile(fileOf('r.pdf', 'pdf', pdf));
    if ('skipped' in got) throw new Error(got.skipped);
    expect(got.title).toBe('Fruit report');
    expect(got.text).toBe('The first page speaks of apples.\n\nA second paragraph on the first page.\n\nThe second page speaks of pears.');
    expect(got.pages).toEqual([0, got.text.indexOf('The second page')]);
    const place = createLocator(got);
    expect(place(got.text.indexOf('pears'))).toEqual({ page: 2 });
    expect(place(0)).toEqual({ page: 1 });
  });

  it("joins a paragraph's lines as they were written, a compound broken at its hyphen included", async () => {
    const paragraph = Array.from(
      { length: 12 },
      (_, i) => `The well-known white-haired farm-labourer number ${i} met a sharp-witted, good-natured, long-suffering horse-dealer.`,
    ).join(' ');
    const got = await extractFile(fileOf('c.pdf', 'pdf', await pdfBytes([[paragraph]])));
    expect(got).toMatchObject({ text: paragraph });
  });

  it('leaves out a running header and footer, its page numbers aside, and keeps a line that only some pages repeat', async () => {
    const pages = ['apple', 'pear', 'plum', 'fig'].map((fruit, i) => [
      `This part tells of the ${fruit} trees.`,
      i % 2 ? `Even page ${i + 1}.` : 'Odd pages end here.',
    ]);
    const pdf = await pdfBytes(pages, { header: () => 'https://orchards.example/report', footer: (n, all) => `${n}/${all}` });
    const got = await extractFile(fileOf('h.pdf', 'pdf', pdf));
    if ('skipped' in got) throw new Error(got.skipped);
    expect(got.text).not.toMatch(/orchards\.example|\d\/4/);
    expect(got.text.split('\n\n')).toEqual(pages.flat());
    // A line on half of the pages is not running furniture: it is kept on every page it is on.
    expect(got.text.match(/Odd pages end here\./g)).toHaveLength(2);
  });

  it('joins a sentence cut by a page break, and the second page starts where its words do', async () => {
    const pdf = await pdfBytes([
      ['A full first sentence.', 'The orchard was planted by the'],
      ['monks of the valley in spring.', 'A new paragraph on page two.'],
    ]);
    const got = await extractFile(fileOf('j.pdf', 'pdf', pdf));
    if ('skipped' in got) throw new Error(got.skipped);
    expect(got.text).toBe('A full first sentence.\n\nThe orchard was planted by the monks of the valley in spring.\n\nA new paragraph on page two.');
    expect(got.pages).toEqual([0, got.text.indexOf('monks')]);
    expect(createLocator(got)(got.text.indexOf('A new'))).toEqual({ page: 2 });
  });

  it('says why a PDF gives no text: a password, no text layer, or damage', async () => {
    expect(await extractFile(fileOf('locked.pdf', 'pdf', await pdfBytes([['Secret plans.']], { userPassword: 'open sesame' })))).toEqual({
      code: 'encrypted',
      skipped: expect.stringMatching(/^encrypted/),
    });
    expect(await extractFile(fileOf('scan.pdf', 'pdf', await pdfWithoutText(2)))).toEqual({
      code: 'empty',
      skipped: expect.stringMatching(/^no text \(its 2 page\(s\)/),
    });
    expect(await extractFile(fileOf('bad.pdf', 'pdf', Buffer.from('%PDF-1.4\nnothing here at all')))).toEqual({
      code: 'unreadable',
      skipped: expect.stringMatching(/^unreadable/),
    });
  });
});

describe('Word', () => {
  it('gives paragraphs as blocks and headings as sections, the first top heading as title', async () => {
    const docx = await docxBytes([[1, 'Cider making'], 'Cider is pressed from apples in autumn.', [2, 'Pressing'], 'The press squeezes the pulp.']);
    const got = await extractFile(fileOf('c.docx', 'docx', docx));
    if ('skipped' in got) throw new Error(got.skipped);
    expect(got.text).toBe('Cider making\n\nCider is pressed from apples in autumn.\n\nPressing\n\nThe press squeezes the pulp.');
    expect(got.title).toBe('Cider making');
    expect(createLocator(got)(got.text.indexOf('The press'))).toEqual({ section: 'Pressing' });
  });

  it('says an encrypted Word file is encrypted, and a damaged one unreadable', async () => {
    const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(512, 1)]);
    expect(await extractFile(fileOf('locked.docx', 'docx', ole))).toMatchObject({ code: 'encrypted' });
    expect(await extractFile(fileOf('bad.docx', 'docx', Buffer.from('not a zip at all')))).toMatchObject({
      code: 'unreadable',
      skipped: expect.stringMatching(/^unreadable \(not a valid \.docx/),
    });
  });
});

describe('Markdown', () => {
  const NOTE = `---
title: "Grafting notes"
tags: [orchard]
---
# Whip and tongue

The **whip and tongue graft** joins a *scion* to a rootstock, as [the guide](https://example.org/guide "Guide") shows.
An image: ![a grafted stem](stem.png). Some \`code\` and <b>inline HTML</b>.

## Aftercare

- Seal the union with ~~tar~~ wax.
- Bind it with [tape][t].

| Tool | Use |
|------|-----|
| **Knife** | cutting |

> Patience is the grafter's virtue.

[t]: https://example.org/tape
`;

  it('reads front matter as the title, never as text, and leaves no markup in the text', () => {
    const md = extractMarkdown(NOTE);
    expect(md.title).toBe('Grafting notes');
    expect(md.text).not.toMatch(/title:|tags:|---/);
    for (const markup of ['**', '](', '![', '`', '<b>', '~~', '|', '> ', '[t]', 'https://']) expect(md.text).not.toContain(markup);
    expect(md.text).toContain('The whip and tongue graft joins a scion to a rootstock, as the guide shows.');
    expect(md.text).toContain('Seal the union with tar wax.\n\nBind it with tape.');
    expect(md.text).toContain('Tool · Use\n\nKnife · cutting');
    expect(md.text).toContain("Patience is the grafter's virtue.");
  });

  it('makes headings the sections of the text under them; without front matter, the top heading is the title', () => {
    const md = extractMarkdown(NOTE);
    const place = createLocator(md);
    expect(place(md.text.indexOf('joins a scion'))).toEqual({ section: 'Whip and tongue' });
    expect(place(md.text.indexOf('Seal the union'))).toEqual({ section: 'Aftercare' });
    expect(extractMarkdown('Intro line.\n\n# Real title\n\nBody.').title).toBe('Real title');
    expect(extractMarkdown('+++\ntitle = "From TOML"\n+++\nBody.')).toEqual({ text: 'Body.', title: 'From TOML' });
    expect(extractMarkdown('---\n: not yaml [\n---\nBody.')).toEqual({ text: 'Body.' });
  });
});

describe('text encodings', () => {
  const FRENCH = 'Crème brûlée à la poire : le pâtissier français préfère des poires mûres.\nDeuxième ligne.';

  it('decodes UTF-8 with and without a byte-order mark, UTF-16 either way round with one, and Latin-1', () => {
    expect(decodeText(Buffer.from(FRENCH))).toEqual({ text: FRENCH, encoding: 'utf-8' });
    expect(decodeText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(FRENCH)]))).toEqual({ text: FRENCH, encoding: 'utf-8' });
    expect(decodeText(utf16(FRENCH))).toEqual({ text: FRENCH, encoding: 'utf-16le' });
    expect(decodeText(Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(FRENCH, 'utf16-be')]))).toEqual({ text: FRENCH, encoding: 'utf-16be' });
    expect(decodeText(Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), iconv.encode(FRENCH, 'utf32-le')]))).toEqual({ text: FRENCH, encoding: 'utf-32le' });
    expect(decodeText(latin1(FRENCH))?.text).toBe(FRENCH);
  });

  it('reads Windows-1252 quotes and dashes, and makes every line end \\n', () => {
    const text = 'He said “grafting is patience” — and smiled. It costs €5.\r\nNext line.\rLast.';
    expect(decodeText(iconv.encode(text, 'windows-1252'))?.text).toBe('He said “grafting is patience” — and smiled. It costs €5.\nNext line.\nLast.');
  });

  it('takes the encoding a web page declares when its bytes are not UTF-8', async () => {
    const page =
      '<html><head><meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><title>Сад</title></head><body><p>Яблоки созревают осенью, а груши позже.</p></body></html>';
    const got = await extractFile(fileOf('ru.html', 'html', iconv.encode(page, 'koi8-r')));
    expect(got).toMatchObject({ text: 'Яблоки созревают осенью, а груши позже.', title: 'Сад' });
    const utf8Page = Buffer.from('<meta charset="windows-1252"><p>Déjà vu — in UTF-8 all along.</p>');
    expect(await extractFile(fileOf('u.html', 'html', utf8Page))).toMatchObject({ text: 'Déjà vu — in UTF-8 all along.' });
    // A declared encoding chardet would not have guessed (the euro sign is 0xA4 in ISO-8859-15, "¤" in Latin-1).
    const euro = iconv.encode('<html><head><meta charset = "iso-8859-15"></head><body><p>Le panier coûte 5 € au marché.</p></body></html>', 'iso-8859-15');
    expect(await extractFile(fileOf('e.html', 'html', euro))).toMatchObject({ text: 'Le panier coûte 5 € au marché.' });
    // A byte-order mark wins over the declaration; a declaration of UTF-8 on bytes that are not is passed over.
    const marked = utf16('<html><head><meta charset="windows-1252"></head><body><p>Poires mûres, grâce au soleil.</p></body></html>');
    expect(await extractFile(fileOf('m.html', 'html', marked))).toMatchObject({ text: 'Poires mûres, grâce au soleil.' });
    const mislabelled = latin1('<html><head><meta charset="UTF-8"></head><body><p>Crème brûlée, pâtisserie française à la poire.</p></body></html>');
    expect(await extractFile(fileOf('l.html', 'html', mislabelled))).toMatchObject({ text: 'Crème brûlée, pâtisserie française à la poire.' });
    // No declaration at all: the page is read as any text is.
    expect(await extractFile(fileOf('n.html', 'html', Buffer.from('<p>Nothing declared.</p>')))).toEqual({ text: 'Nothing declared.' });
  });

  it('counts control characters, not white space or letters, towards binary: one in ten at most', () => {
    const words = 'plain words '.repeat(9);
    // Tabs, line ends and form feeds are white space, however many.
    expect(decodeText(Buffer.from('\t\n\r\f'.repeat(50) + words))?.text).toContain('plain words');
    // No-break spaces and accented letters are letters.
    expect(decodeText(Buffer.from('\u00a0é'.repeat(100)))).not.toBeNull();
    for (const odd of ['\u0001', '\u001f', '\u007f', '\u0085', '\u009f', '\ufffd']) {
      // Just over one in ten is binary; just under is text.
      expect(decodeText(Buffer.from(odd.repeat(12) + 'x'.repeat(100)))).toBeNull();
      expect(decodeText(Buffer.from(odd.repeat(10) + 'x'.repeat(100)))).not.toBeNull();
    }
    // A NUL is never text, even one in a long UTF-8 text behind a byte-order mark.
    expect(decodeText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${words}\0${words}`)]))).toBeNull();
    // Only the first 64 KB are judged: a long text with noise at its end is text.
    expect(decodeText(Buffer.from('a'.repeat(70_000) + '\u0001'.repeat(20_000)))).not.toBeNull();
  });

  it('refuses binary content, with NUL bytes or without', () => {
    expect(decodeText(Buffer.from([0x68, 0x00, 0x69]))).toBeNull();
    expect(decodeText(Buffer.from(Array.from({ length: 200 }, (_, i) => (i % 2 ? 0x01 : 0x41))))).toBeNull();
    expect(decodeText(Buffer.from(Array.from({ length: 4096 }, (_, i) => 1 + ((i * 7919 + 13) % 255))))).toBeNull();
    expect(decodeText(Buffer.alloc(0))).toEqual({ text: '', encoding: 'utf-8' });
  });
});

describe('extracting a corpus', () => {
  it("takes an unchanged file's text from the previous build, reads a changed one, and names what gives no text", async () => {
    const kept = fileOf('kept.txt', 'text', Buffer.from('Original words.'));
    const changed = fileOf('changed.txt', 'text', Buffer.from('New words.'));
    const empty = fileOf('blank.md', 'markdown', Buffer.from('---\ntitle: Only a title\n---\n'));
    // What the previous build holds for kept.txt differs from the file: taking it shows the file was not read again.
    const previous = new Map<string, ExtractedDocument>([[reuseKey(kept), { ...kept, text: 'Text the previous build extracted.' }]]);
    const got = await extractCorpus(corpusOf([kept, changed, empty], [{ source: 'a.csv', code: 'unsupported', reason: 'unsupported type (.csv)' }]), previous);
    expect(got.documents.map((d) => [d.source, d.text])).toEqual([
      ['kept.txt', 'Text the previous build extracted.'],
      ['changed.txt', 'New words.'],
    ]);
    expect({ extracted: got.extracted, reused: got.reused }).toEqual({ extracted: 2, reused: 1 });
    expect(got.skipped).toEqual([
      { source: 'a.csv', code: 'unsupported', reason: 'unsupported type (.csv)' },
      { source: 'blank.md', code: 'empty', reason: 'no text', sha256: empty.sha256 },
    ]);
  });

  it('builds text block by block, with page and section offsets into it', () => {
    const b = createTextBuilder();
    b.page();
    b.heading('  Intro \n');
    b.block('First   block\nwith a line break.');
    b.block('   ');
    b.heading(' \n ');
    b.page();
    b.block('Second page.');
    const t = b.done(' A  title ');
    expect(t).toEqual({
      text: 'Intro\n\nFirst block with a line break.\n\nSecond page.',
      title: 'A title',
      pages: [0, 39],
      sections: [{ start: 0, heading: 'Intro' }],
    });
    expect(t.text.slice(39)).toBe('Second page.');
  });
});
