// Hostile documents, made in code, for the tests and `npm run bench:hostile`: each is small, or ordinary, and once
// stopped a whole build. Zip archives and PDFs are written byte by byte here, since no library writes a
// broken one on purpose.
import { crc32, deflateRawSync, deflateSync } from 'node:zlib';

/** A zip archive of the entries given, each deflated (stored when empty), with its central directory. */
export function zipBytes(entries: Record<string, string | Buffer>): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(entries)) {
    const raw = typeof content === 'string' ? Buffer.from(content) : content;
    const data = raw.length ? deflateRawSync(raw, { level: 9 }) : raw;
    const fileName = Buffer.from(name);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(raw.length ? 8 : 0, 8);
    head.writeUInt32LE(crc32(raw) >>> 0, 14);
    head.writeUInt32LE(data.length, 18);
    head.writeUInt32LE(raw.length, 22);
    head.writeUInt16LE(fileName.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    head.copy(entry, 8, 6, 30);
    entry.writeUInt32LE(offset, 42);
    locals.push(head, fileName, data);
    central.push(entry, fileName);
    offset += head.length + fileName.length + data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(central.length / 2, 8);
  end.writeUInt16LE(central.length / 2, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const WORD_NS = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';

/** A Word file whose `word/document.xml` is the body given (raw WordprocessingML), and the parts mammoth needs. */
export function docxOf(body: string | Buffer): Buffer {
  const xml = Buffer.concat([
    Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="${WORD_NS}"><w:body>`),
    Buffer.from(body),
    Buffer.from('</w:body></w:document>'),
  ]);
  return zipBytes({
    '[Content_Types].xml': `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
    '_rels/.rels': `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
    'word/document.xml': xml,
  });
}

/** A zip bomb in a Word file's clothes: a `document.xml` of `bytes` bytes of one short paragraph repeated. */
export function docxBomb(bytes: number): Buffer {
  const paragraph = Buffer.from('<w:p><w:r><w:t>bomb</w:t></w:r></w:p>');
  const body = Buffer.alloc(Math.floor(bytes / paragraph.length) * paragraph.length);
  body.fill(paragraph);
  return docxOf(body);
}

/** A PDF from its objects' bodies (object n is `objects[n - 1]`; object 1 is the catalog), with a correct xref table. */
export function rawPdf(objects: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let length = parts[0].length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(length);
    const part = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), typeof body === 'string' ? Buffer.from(body, 'latin1') : body, Buffer.from('\nendobj\n')]);
    parts.push(part);
    length += part.length;
  });
  const xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`));
  return Buffer.concat(parts);
}

/** A stream object: its dictionary's entries and its data, deflated when `deflate`. */
function stream(entries: string, data: Buffer, deflate = false): Buffer {
  const body = deflate ? deflateSync(data, { level: 9 }) : data;
  return Buffer.concat([
    Buffer.from(`<< ${entries}${deflate ? ' /Filter /FlateDecode' : ''} /Length ${body.length} >>\nstream\n`),
    body,
    Buffer.from('\nendstream'),
  ]);
}

const FONT = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
const page = (parent: number, contents: number, resources: string) =>
  `<< /Type /Page /Parent ${parent} 0 R /MediaBox [0 0 612 792] /Contents ${contents} 0 R /Resources ${resources} >>`;

/** A one-page PDF whose page shows `text` (plain ASCII), drawn by form XObjects `levels` deep, each drawing the next `fanout` times. */
export function pdfXObjectBomb(levels = 7, fanout = 10, text = 'Hello'): Buffer {
  // Objects: 1 catalog, 2 pages, 3 page, 4 font, 5 page contents, 6.. the forms (6 the top one, 6 + levels - 1 the deepest).
  const forms = Array.from({ length: levels }, (_, i) => {
    const deepest = i === levels - 1;
    const draw = deepest ? `BT /F1 12 Tf 72 700 Td (${text}) Tj ET` : Array.from({ length: fanout }, () => '/X Do').join(' ');
    const resources = deepest ? '<< /Font << /F1 4 0 R >> >>' : `<< /XObject << /X ${7 + i} 0 R >> >>`;
    return stream(`/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources ${resources}`, Buffer.from(draw));
  });
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    page(2, 5, '<< /XObject << /X 6 0 R >> >>'),
    FONT,
    stream('', Buffer.from(Array.from({ length: fanout }, () => '/X Do').join(' '))),
    ...forms,
  ]);
}

/** A PDF whose page tree lists one child `fanout` times at each of `levels` levels: fanout^levels pages of one page. */
export function pdfPageTreeBomb(levels = 6, fanout = 10): Buffer {
  // Objects: 1 catalog, 2 .. levels + 1 the page tree's nodes (2 the root), then the page, its font and its contents.
  const pageObject = levels + 2;
  const nodes = Array.from({ length: levels }, (_, i) => {
    const child = i === levels - 1 ? pageObject : 3 + i;
    return `<< /Type /Pages${i ? ` /Parent ${1 + i} 0 R` : ''} /Kids [${Array.from({ length: fanout }, () => `${child} 0 R`).join(' ')}] /Count ${fanout ** (levels - i)} >>`;
  });
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    ...nodes,
    page(levels + 1, pageObject + 2, `<< /Font << /F1 ${pageObject + 1} 0 R >> >>`),
    FONT,
    stream('', Buffer.from('BT /F1 12 Tf 72 700 Td (The same page again.) Tj ET')),
  ]);
}

/** A one-page PDF whose content stream is a line of text and then `bytes` bytes of white space, deflated. */
export function pdfStreamBomb(bytes: number): Buffer {
  const content = Buffer.alloc(bytes, 0x20);
  Buffer.from('BT /F1 12 Tf 72 700 Td (Inflated.) Tj ET').copy(content);
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    page(2, 5, '<< /Font << /F1 4 0 R >> >>'),
    FONT,
    stream('', content, true),
  ]);
}

/** Small inputs the readers once read in time growing with the square of their length (or worse), by format. */
export const slowInputs = {
  /** `<div>` nested `n` deep. */
  nestedDivs: (n: number) => `<html><body>${'<div>'.repeat(n)}deep${'</div>'.repeat(n)}</body></html>`,
  /** `<b>` opened `n` times and never closed. */
  nestedBold: (n: number) => `<p>${'<b>'.repeat(n)}bold</p>`,
  /** `<title x` over and over, no `>` anywhere. */
  openTitles: (n: number) => '<title x'.repeat(n),
  /** Markdown brackets that never pair: `]` repeated. */
  brackets: (n: number) => ']'.repeat(n),
  /** Markdown block quotes `n` deep on one line. */
  quotes: (n: number) => `${'>'.repeat(n)} quoted`,
  /** A Markdown list `n` levels deep. */
  deepList: (n: number) => Array.from({ length: n }, (_, i) => `${'  '.repeat(i)}- level ${i}`).join('\n'),
  /** `Mr. ` over and over: one sentence that never ends, for the chunker. */
  titles: (n: number) => 'Mr. '.repeat(n),
  /** A line of dots ending in no page number, for the table-of-contents finder; `listed`, under a "Contents" line. */
  dots: (n: number, listed = false) => `${listed ? 'Contents\n\n' : ''}Introduction${'.'.repeat(n)}!`,
};

const VOCABULARY = (
  'the orchard keeper walked along rows of apple and pear trees counting fruit that had fallen overnight while rain ' +
  'moved across valley hills towards river mill where farmers pressed cider each autumn before winter frost arrived ' +
  'and ledgers recorded weather harvest prices grafting pruning notes letters from neighbours travellers merchants'
).split(' ');

/** Paragraphs of prose-like sentences, about `chars` characters in all, the same for the same `seed`. */
export function prose(chars: number, seed = 1): string[] {
  // mulberry32: a generator whose low bits do not cycle, so no paragraph comes round again.
  let state = seed >>> 0;
  const next = (n: number) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
  const sentence = () => {
    const words = Array.from({ length: 8 + next(18) }, () => VOCABULARY[next(VOCABULARY.length)]);
    return `${words[0][0].toUpperCase()}${words[0].slice(1)} ${words.slice(1).join(' ')}.`;
  };
  const paragraphs: string[] = [];
  for (let size = 0; size < chars; ) {
    const p = Array.from({ length: 3 + next(6) }, sentence).join(' ');
    paragraphs.push(p);
    size += p.length + 2;
  }
  return paragraphs;
}

/**
 * Paragraphs of about `chars` characters in all, each five sentences drawn from `distinct` sentences of prose: text as
 * large as a book whose sentences repeat, so that a build of it embeds a few thousand sentences, not a million.
 */
export function drawnProse(chars: number, distinct: number, seed: number): string[] {
  const sentences = prose(distinct * 120, seed)
    .flatMap((p) => p.split(/(?<=\.) /))
    .slice(0, distinct);
  const paragraphs: string[] = [];
  let state = seed;
  for (let size = 0; size < chars; ) {
    const p = Array.from({ length: 5 }, () => sentences[(state = (state * 48271) % 2147483647) % sentences.length]).join(' ');
    paragraphs.push(p);
    size += p.length + 2;
  }
  return paragraphs;
}
