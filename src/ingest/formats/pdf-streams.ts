// A PDF's compressed streams measured before pdf.js decodes them: a content stream that inflates to 500 MB from
// 1.5 MB once ran a build out of memory. Each `stream … endstream` whose dictionary names FlateDecode is inflated and
// counted, nothing kept; images are left out, since reading text never decodes them. A stream compressed under
// another filter first (ASCII85, LZW) is not measured here: the reader pool's memory and time limits still hold.
import { inflatedSize } from './inflate.js';

/** How far back from `stream` its dictionary may start: a stream's dictionary is a few hundred bytes. */
const DICTIONARY_MAX = 4096;

/** The dictionary ending just before `at` (the `stream` keyword), as Latin-1 text, or null. */
function dictionaryBefore(pdf: Buffer, at: number): string | null {
  let end = at;
  while (end > 0 && pdf[end - 1] <= 0x20) end--;
  if (pdf[end - 1] !== 0x3e || pdf[end - 2] !== 0x3e) return null;
  let depth = 0;
  for (let i = end - 1; i > 0 && end - i < DICTIONARY_MAX; i--) {
    if (pdf[i] === 0x3e && pdf[i - 1] === 0x3e) depth++, i--;
    else if (pdf[i] === 0x3c && pdf[i - 1] === 0x3c) {
      depth--;
      i--;
      if (depth === 0) return pdf.toString('latin1', i, end);
    }
  }
  return null;
}

/** Where a stream's data starts: after `stream` and its end of line. */
function dataStart(pdf: Buffer, keyword: number): number {
  let at = keyword + 'stream'.length;
  if (pdf[at] === 0x0d) at++;
  if (pdf[at] === 0x0a) at++;
  return at;
}

/**
 * The bytes of the largest FlateDecode stream of a PDF that is not an image, counted up to just past `limit` (a
 * result over `limit` means "more"). Linear in the file: each stream's data is read once.
 */
export async function largestStream(pdf: Buffer, limit: number): Promise<number> {
  let largest = 0;
  for (let at = pdf.indexOf('stream'); at >= 0; ) {
    const dictionary = pdf.subarray(Math.max(0, at - 3), at).toString('latin1') === 'end' ? null : dictionaryBefore(pdf, at);
    const start = dataStart(pdf, at);
    // The data runs to the `endstream` after its declared length (compressed data may hold those bytes earlier).
    const declared = Number(/\/Length\s+(\d{1,12})(?![\d\s]*R)/.exec(dictionary ?? '')?.[1] ?? 0);
    const end = pdf.indexOf('endstream', Math.min(pdf.length, start + declared));
    if (end < 0) break;
    if (dictionary?.includes('/FlateDecode') && !/\/Subtype\s*\/Image\b/.test(dictionary)) {
      largest = Math.max(largest, await inflatedSize(pdf.subarray(start, end), limit));
      if (largest > limit) break;
    }
    at = pdf.indexOf('stream', end + 'endstream'.length);
  }
  return largest;
}
