// Files → documents: each file read by the reader of its format. A file the previous build read, unchanged (the same
// bytes, format and reader version), takes that build's text instead of being read again. A file that gives no
// text is skipped with its reason: encrypted, damaged, no text layer, binary, or empty.
import type { Corpus, CorpusFile } from './corpus.js';
import type { DocumentFormat, ExtractedDocument, ExtractedText } from './document.js';
import { findFurniture } from './furniture.js';
import { readRegularFile, type SkipCode, type Skipped } from './files.js';
import { extractDocx, DocxUnreadable } from './formats/docx.js';
import { extractHtml } from './formats/html.js';
import { extractMarkdown } from './formats/markdown.js';
import { extractPdf, PdfUnreadable } from './formats/pdf.js';
import { decodeText, declaredCharset, extractPlainText } from './formats/text.js';

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

/** Reads one file by its format, furniture marked. Never throws for the file's content: a file that cannot be read says why. */
export async function extractFile(file: CorpusFile): Promise<Extraction> {
  const got = await readByFormat(file);
  return 'skipped' in got ? got : withFurniture(got, file.format);
}

async function readByFormat(file: CorpusFile): Promise<Extraction> {
  const read = file.bytes ? { bytes: file.bytes } : await readRegularFile(file.path!);
  if ('skipped' in read) return read;
  const { bytes } = read;
  try {
    if (file.format === 'pdf') return await extractPdf(bytes);
    if (file.format === 'docx') return await extractDocx(bytes);
    const decoded = decodeText(bytes, file.format === 'html' ? declaredCharset(bytes) : undefined);
    if (!decoded) return BINARY;
    if (file.format === 'markdown') return extractMarkdown(decoded.text);
    if (file.format === 'html') return extractHtml(decoded.text);
    return extractPlainText(decoded.text);
  } catch (err) {
    if (err instanceof PdfUnreadable || err instanceof DocxUnreadable) return { skipped: err.message, code: err.code };
    return { skipped: `unreadable (${(err as Error).message})`, code: 'unreadable' };
  }
}

/** The key under which a build finds the document a previous build read from the same bytes. */
export const reuseKey = (d: { format: string; sha256: string }) => `${d.format}:${d.sha256}`;

export interface ExtractedCorpus {
  documents: ExtractedDocument[];
  /** The walk's skipped files and the files that gave no text. */
  skipped: Skipped[];
  /** Files read by this build, and files whose text came from the previous one. */
  extracted: number;
  reused: number;
}

/**
 * The documents of a corpus, in its order: each file's text from `previous` (by reuseKey) when there, else read.
 * `signal` stops the work between two files.
 */
export async function extractCorpus(corpus: Corpus, previous: Map<string, ExtractedDocument>, signal?: AbortSignal): Promise<ExtractedCorpus> {
  const documents: ExtractedDocument[] = [];
  const skipped = [...corpus.skipped];
  let extracted = 0;
  let reused = 0;
  for (const file of corpus.files) {
    signal?.throwIfAborted();
    const known = previous.get(reuseKey(file));
    let got: Extraction;
    if (known) {
      reused++;
      got = known;
    } else {
      extracted++;
      got = await extractFile(file);
    }
    if ('skipped' in got) skipped.push({ source: file.source, code: got.code, reason: got.skipped, ...(got.code === 'removed' ? {} : { sha256: file.sha256 }) });
    else if (!got.text.trim()) skipped.push({ source: file.source, code: 'empty', reason: 'no text', sha256: file.sha256 });
    else documents.push({ source: file.source, format: file.format, sha256: file.sha256, text: got.text, ...placeFields(got) });
  }
  skipped.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  return { documents, skipped, extracted, reused };
}

/** The optional fields of an extracted text, copied only when present. */
function placeFields(t: ExtractedText): Partial<ExtractedText> {
  return {
    ...(t.title ? { title: t.title } : {}),
    ...(t.pages ? { pages: t.pages } : {}),
    ...(t.sections ? { sections: t.sections } : {}),
    ...(t.omit ? { omit: t.omit } : {}),
  };
}
