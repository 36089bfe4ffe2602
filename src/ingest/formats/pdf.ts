// PDF: the text layer of each page, by Mozilla's pdf.js, in lines joined into paragraphs where the gap between lines
// is a line's normal spacing; each page starts a page of the extracted text. Running headers and footers (a line at
// the top or bottom of most pages, numbers aside: a URL, a date, "12/57") are left out, and a paragraph cut by a page
// break mid-sentence is joined again across it. A PDF with no text layer at all (a scan) and a PDF that needs a
// password are refused with their reason, not indexed empty. Before pdf.js reads a page, the PDF's streams are
// measured inflated and its pages counted (limits.ts): a stream bomb is too large, a page tree of a million pages
// too complex.
import { getDocument, type PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { createTextBuilder, type ExtractedText } from '../document.js';
import { DEFAULT_LIMITS, isStackOverflow, LimitExceeded, type ReadLimits } from '../limits.js';
import { megabytes } from './inflate.js';
import { largestStream } from './pdf-streams.js';

/** Why a PDF gives no text: it is encrypted, damaged, or holds no text layer. */
export class PdfUnreadable extends Error {
  constructor(
    readonly code: 'encrypted' | 'unreadable' | 'empty',
    message: string,
  ) {
    super(message);
  }
}

interface TextItem {
  str: string;
  transform: number[];
  height: number;
  hasEOL: boolean;
}

export interface Line {
  text: string;
  y: number;
  height: number;
}

/** A page's text items as lines: an item ending a line, or one on another baseline, ends the line before it. */
function linesOf(items: TextItem[]): Line[] {
  const lines: Line[] = [];
  let current: Line | null = null;
  for (const item of items) {
    const y = item.transform[5];
    if (current && Math.abs(current.y - y) > Math.max(1, current.height / 2)) {
      lines.push(current);
      current = null;
    }
    current ??= { text: '', y, height: item.height || 10 };
    current.text += item.str;
    current.height = Math.max(current.height, item.height || 0);
    if (item.hasEOL) {
      lines.push(current);
      current = null;
    }
  }
  if (current) lines.push(current);
  return lines.filter((l) => l.text.trim());
}

/**
 * Whether `before` ends in a letter and a hyphen and `after` starts in lower case: a word hyphenated across a line
 * or a page. Only the ends are looked at (a pattern ending in `$` is tried from every character of the paragraph).
 */
const hyphenated = (before: string, after: string) => /\p{L}-$/u.test(before.slice(-3)) && /^\p{Ll}/u.test(after);

/** Lines as paragraphs: a gap wider than 1.5 times the page's usual line spacing starts a new one. */
function paragraphsOf(lines: Line[]): string[] {
  const gaps = lines
    .slice(1)
    .map((l, i) => Math.abs(lines[i].y - l.y))
    .filter((g) => g > 0)
    .sort((a, b) => a - b);
  const usual = gaps.length ? gaps[Math.floor(gaps.length / 2)] : 0;
  const out: string[] = [];
  let paragraph = '';
  lines.forEach((line, i) => {
    const gap = i ? Math.abs(lines[i - 1].y - line.y) : 0;
    if (i && (gap > usual * 1.5 || gap > line.height * 2.2)) {
      out.push(paragraph);
      paragraph = '';
    }
    const text = line.text.trim();
    // A line ending in a hyphen runs on into the next without a space, the hyphen kept: "white-" "haired" is one
    // word again, and no compound loses its hyphen (a PDF does not say which line-end hyphens were inserted).
    if (hyphenated(paragraph, text)) paragraph += text;
    else paragraph = paragraph ? `${paragraph} ${text}` : text;
  });
  if (paragraph) out.push(paragraph);
  return out;
}

/** How many lines at each end of a page may be a running header or footer. */
const EDGE_LINES = 2;

/** A line's form with its numbers taken out, so that "Page 3 of 9" and "Page 4 of 9" are the same running line. */
const runningKey = (text: string) => text.trim().toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ');

/**
 * Each page's lines without its running header and footer: a line among the first or last EDGE_LINES of a page whose
 * form (numbers aside) is among those of more than half of the pages, and of two pages at least.
 */
export function withoutRunningLines(pages: Line[][]): Line[][] {
  const edges = (lines: Line[]) => new Set([...lines.slice(0, EDGE_LINES), ...lines.slice(-EDGE_LINES)].map((l) => runningKey(l.text)));
  const pagesWith = new Map<string, number>();
  for (const lines of pages) for (const key of edges(lines)) pagesWith.set(key, (pagesWith.get(key) ?? 0) + 1);
  const running = (key: string) => {
    const n = pagesWith.get(key) ?? 0;
    return n >= 2 && n * 2 > pages.length;
  };
  return pages.map((lines) => lines.filter((line, i) => !((i < EDGE_LINES || i >= lines.length - EDGE_LINES) && running(runningKey(line.text)))));
}

/** Whether a paragraph ends a sentence: the next page's first paragraph is then a paragraph of its own. */
const endsSentence = (paragraph: string) => /[.!?:;\u2026]["'\u201d\u2019)\]]*$/u.test(paragraph.trimEnd().slice(-64));

/** Throws LimitExceeded when a stream of `bytes` inflates past the limit. */
async function checkStreams(bytes: Uint8Array, limits: ReadLimits): Promise<void> {
  const largest = await largestStream(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), limits.maxInflatedBytes);
  if (largest > limits.maxInflatedBytes)
    throw new LimitExceeded('too-large', `too large (a stream inflates to more than ${megabytes(limits.maxInflatedBytes)}, the limit)`);
}

/**
 * A PDF's text by page, and its title from its metadata. Throws PdfUnreadable, and LimitExceeded past
 * `limits.maxInflatedBytes` (one stream) or `limits.maxPages`.
 */
export async function extractPdf(bytes: Uint8Array, limits: ReadLimits = DEFAULT_LIMITS): Promise<ExtractedText> {
  await checkStreams(bytes, limits);
  let pdf: PDFDocumentProxy;
  try {
    pdf = await getDocument({ data: new Uint8Array(bytes), verbosity: 0, isEvalSupported: false, disableFontFace: true, useSystemFonts: false }).promise;
  } catch (err) {
    const e = err as Error;
    if (e.name === 'PasswordException') throw new PdfUnreadable('encrypted', 'encrypted (it needs a password)');
    throw new PdfUnreadable('unreadable', `unreadable (not a valid PDF: ${e.message})`);
  }
  try {
    if (pdf.numPages > limits.maxPages) throw new LimitExceeded('too-complex', `too complex (${pdf.numPages} pages; the limit is ${limits.maxPages})`);
    const pages: Line[][] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      pages.push(linesOf(content.items.filter((i) => 'str' in i) as TextItem[]));
      page.cleanup();
    }
    const b = createTextBuilder();
    let any = false;
    let last = '';
    for (const lines of withoutRunningLines(pages)) {
      const paragraphs = paragraphsOf(lines);
      // A page that starts mid-sentence continues the paragraph the page before ended in.
      if (paragraphs.length && last && !endsSentence(last)) {
        const first = paragraphs.shift()!;
        b.pageWithin(first, hyphenated(last, first));
        last = first;
      } else b.page();
      for (const paragraph of paragraphs) {
        any = true;
        b.block(paragraph);
        last = paragraph;
      }
    }
    if (!any) throw new PdfUnreadable('empty', `no text (its ${pdf.numPages} page(s) hold no text layer: a scan needs OCR first)`);
    const info = (await pdf.getMetadata().catch(() => null))?.info as { Title?: unknown } | undefined;
    return b.done(typeof info?.Title === 'string' ? info.Title : undefined);
  } catch (err) {
    if (err instanceof PdfUnreadable || err instanceof LimitExceeded || isStackOverflow(err)) throw err;
    throw new PdfUnreadable('unreadable', `unreadable (${(err as Error).message})`);
  } finally {
    await pdf.destroy();
  }
}
