// PDF: the text layer of each page, by Mozilla's pdf.js, in lines joined into paragraphs where the gap between lines
// is a line's normal spacing; each page starts a page of the extracted text. A PDF with no text layer at all (a scan)
// and a PDF that needs a password are refused with their reason, not indexed empty.
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { createTextBuilder, type ExtractedText } from '../document.js';

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

interface Line {
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

/** Lines as paragraphs: a gap wider than 1.5 times the page's usual line spacing starts a new one. */
function paragraphsOf(lines: Line[]): string[] {
  const gaps = lines.slice(1).map((l, i) => Math.abs(lines[i].y - l.y)).filter((g) => g > 0).sort((a, b) => a - b);
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
    if (/\p{L}-$/u.test(paragraph) && /^\p{Ll}/u.test(text)) paragraph += text;
    else paragraph = paragraph ? `${paragraph} ${text}` : text;
  });
  if (paragraph) out.push(paragraph);
  return out;
}

/** A PDF's text by page, and its title from its metadata. Throws PdfUnreadable. */
export async function extractPdf(bytes: Uint8Array): Promise<ExtractedText> {
  let pdf;
  try {
    pdf = await getDocument({ data: new Uint8Array(bytes), verbosity: 0, isEvalSupported: false, disableFontFace: true, useSystemFonts: false }).promise;
  } catch (err) {
    const e = err as Error;
    if (e.name === 'PasswordException') throw new PdfUnreadable('encrypted', 'encrypted (it needs a password)');
    throw new PdfUnreadable('unreadable', `unreadable (not a valid PDF: ${e.message})`);
  }
  try {
    const b = createTextBuilder();
    let any = false;
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      b.page();
      for (const paragraph of paragraphsOf(linesOf(content.items.filter((i) => 'str' in i) as TextItem[]))) {
        any = true;
        b.block(paragraph);
      }
      page.cleanup();
    }
    if (!any) throw new PdfUnreadable('empty', `no text (its ${pdf.numPages} page(s) hold no text layer: a scan needs OCR first)`);
    const info = (await pdf.getMetadata().catch(() => null))?.info as { Title?: unknown } | undefined;
    return b.done(typeof info?.Title === 'string' ? info.Title : undefined);
  } catch (err) {
    if (err instanceof PdfUnreadable) throw err;
    throw new PdfUnreadable('unreadable', `unreadable (${(err as Error).message})`);
  } finally {
    await pdf.destroy();
  }
}
