// Documents of every format, made in code: PDFs by pdfkit, Word files by docx, web pages as strings, legacy encodings
// by iconv-lite. The tests and the formats benchmark make the files they read; nothing binary is stored.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as docxModule from 'docx';
import iconv from 'iconv-lite';
import PDFDocument from 'pdfkit';

// docx's type declarations import folders without extensions, which NodeNext resolution refuses: the little used here
// is typed by hand.
interface DocxApi {
  Document: new (options: { sections: { children: unknown[] }[] }) => unknown;
  Paragraph: new (options: string | { text: string; heading?: string }) => unknown;
  Packer: { toBuffer(doc: unknown): Promise<Buffer> };
  HeadingLevel: { HEADING_1: string; HEADING_2: string };
}
const { Document, HeadingLevel, Packer, Paragraph } = docxModule as unknown as DocxApi;

/** A PDF with one page per entry, each page's paragraphs in order; `title` goes into its metadata. */
export function pdfBytes(
  pages: string[][],
  options: { title?: string; userPassword?: string; header?: (page: number, pages: number) => string; footer?: (page: number, pages: number) => string } = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      autoFirstPage: false,
      ...(options.title ? { info: { Title: options.title } } : {}),
      ...(options.userPassword ? { userPassword: options.userPassword, ownerPassword: `${options.userPassword}-owner` } : {}),
    });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    pages.forEach((paragraphs, i) => {
      doc.addPage();
      // A running header and footer, drawn in the page's margins where a word processor puts them.
      if (options.header) doc.text(options.header(i + 1, pages.length), 72, 30, { lineBreak: false });
      doc.text('', 72, 72);
      for (const p of paragraphs) doc.text(p).moveDown();
      if (options.footer) {
        const bottom = doc.page.margins.bottom;
        doc.page.margins.bottom = 0;
        doc.text(options.footer(i + 1, pages.length), 72, doc.page.height - 40, { lineBreak: false });
        doc.page.margins.bottom = bottom;
      }
    });
    doc.end();
  });
}

/** A PDF whose pages hold only drawings: what a scan without OCR looks like to a text extractor. */
export function pdfWithoutText(pageCount = 2): Promise<Buffer> {
  return new Promise((resolve) => {
    const doc = new PDFDocument({ autoFirstPage: false });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    for (let i = 0; i < pageCount; i++) doc.addPage().rect(50, 50, 200, 100).fill('#888');
    doc.end();
  });
}

/** A Word file: `[level, text]` entries are headings of that level, plain strings paragraphs. */
export function docxBytes(content: (string | [1 | 2, string])[]): Promise<Buffer> {
  const children = content.map((c) =>
    typeof c === 'string' ? new Paragraph(c) : new Paragraph({ text: c[1], heading: c[0] === 1 ? HeadingLevel.HEADING_1 : HeadingLevel.HEADING_2 }),
  );
  return Packer.toBuffer(new Document({ sections: [{ children }] }));
}

/** A web page: the article's HTML inside navigation, a cookie banner, a newsletter box and a footer. */
export function webPage(title: string, article: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<script>window.analytics = { track() {} };</script><style>body { font-family: serif }</style></head>
<body>
<nav class="site-nav"><a href="/">Home</a> <a href="/shop">Shop our catalogue</a> <a href="/about">About the company</a></nav>
<header class="masthead"><a href="/">Evergreen Gazette</a> <span>Subscribe for unlimited access</span></header>
<div class="cookie-banner" id="cookie-consent">We use cookies to improve your experience. Accept all cookies or manage preferences.</div>
<main><article>${article}</article></main>
<aside class="newsletter-signup"><h3>Newsletter</h3><p>Subscribe to our weekly newsletter for exclusive discount codes.</p></aside>
<footer class="site-footer"><p>Copyright 2026 Evergreen Gazette Limited. All rights reserved. Privacy policy. Terms of service.</p></footer>
</body></html>`;
}

/** Text in Latin-1 (ISO-8859-1) bytes. */
export const latin1 = (text: string) => iconv.encode(text, 'latin1');

/** Text in UTF-16 little-endian with its byte-order mark. */
export const utf16 = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf16-le')]);

/** Writes `files` (relative path → content) under `dir`, making folders as needed. */
export async function writeFiles(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
}
