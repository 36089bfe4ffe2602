// One file's bytes → its text, by the reader of its format, furniture marked: what runs in a reader worker
// (reader-worker.ts) for each file a build reads. A file whose content cannot be read says why, with its skip code:
// encrypted, damaged, binary, or past one of the readers' limits (too large when inflated, too complex). Each
// format's reader is loaded when a file of it comes (pdf.js alone takes a second or two), so a worker that reads
// text files starts quickly.
import type { DocumentFormat, ExtractedText } from './document.js';
import type { SkipCode } from './files.js';
import { findFurniture } from './furniture.js';
import { decodeText, declaredCharset, extractPlainText } from './formats/text.js';
import { DEFAULT_LIMITS, isStackOverflow, type ReadLimits } from './limits.js';

/** What reading one file gave: its text, or why it has none. */
export type Extraction = ExtractedText | { skipped: string; code: SkipCode };

const BINARY = { skipped: 'binary (not text in any encoding this program reads)', code: 'binary' } as const;

/**
 * A reader's text with its furniture marked (furniture.ts): a licence header and footer in every format, and in the
 * formats without heading markup (plain text, PDF) the contents and the lines that are only a heading, which become
 * sections.
 */
export function withFurniture(read: ExtractedText, format: DocumentFormat): ExtractedText {
  const found = findFurniture(read.text, format === 'text' || format === 'pdf');
  const sections = [...(read.sections ?? []), ...found.sections].sort((a, b) => a.start - b.start);
  const title = read.title ?? found.title;
  return { ...read, ...(title ? { title } : {}), ...(sections.length ? { sections } : {}), ...(found.omit.length ? { omit: found.omit } : {}) };
}

async function readByFormat(bytes: Buffer, format: DocumentFormat, limits: ReadLimits): Promise<ExtractedText | typeof BINARY> {
  if (format === 'pdf') return (await import('./formats/pdf.js')).extractPdf(bytes, limits);
  if (format === 'docx') return (await import('./formats/docx.js')).extractDocx(bytes, limits);
  const decoded = decodeText(bytes, format === 'html' ? declaredCharset(bytes) : undefined);
  if (!decoded) return BINARY;
  if (format === 'markdown') return (await import('./formats/markdown.js')).extractMarkdown(decoded.text, limits.maxNesting);
  if (format === 'html') return (await import('./formats/html.js')).extractHtml(decoded.text, limits.maxNesting);
  return extractPlainText(decoded.text);
}

/** The codes of the errors the readers throw for a file's content (PdfUnreadable, DocxUnreadable, LimitExceeded). */
const READER_CODES = new Set<string>(['encrypted', 'unreadable', 'empty', 'too-large', 'too-complex']);

/** A reader's error saying why a file gives no text, as its skip; null for any other error. */
function readerSkip(err: unknown): { skipped: string; code: SkipCode } | null {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && READER_CODES.has(code) ? { skipped: err.message, code: code as SkipCode } : null;
}

/**
 * Reads one file's bytes by its format, within `limits` (those a reader can check: inflated size, pages, nesting),
 * furniture marked. Never throws for the file's content: a file that cannot be read says why.
 */
export async function readDocument(bytes: Buffer, format: DocumentFormat, limits: ReadLimits = DEFAULT_LIMITS): Promise<Extraction> {
  try {
    const got = await readByFormat(bytes, format, limits);
    return 'skipped' in got ? got : withFurniture(got, format);
  } catch (err) {
    const skip = readerSkip(err);
    if (skip) return skip;
    // A recursion deeper than the nesting checks saw: too complex, like the nesting they do see.
    if (isStackOverflow(err)) return { skipped: 'too complex (nested too deeply to read)', code: 'too-complex' };
    return { skipped: `unreadable (${(err as Error).message})`, code: 'unreadable' };
  }
}
