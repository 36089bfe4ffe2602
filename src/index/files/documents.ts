// A build's documents on disk: `documents.jsonl`, one extracted document a line in the manifest's order, so that /view
// reads one line of it (by the offsets found at load) rather than the corpus folder or the whole file.
import { open } from 'node:fs/promises';
import type { ExtractedDocument } from '../store.js';

/** The file's content: one JSON line per document. */
export function documentsFile(documents: ExtractedDocument[]): string {
  return documents.map((d) => `${JSON.stringify(d)}\n`).join('');
}

/** The byte range of each line of the file's content. */
export function lineRanges(data: Buffer): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let start = 0;
  for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, start)) {
    out.push({ start, end: nl });
    start = nl + 1;
  }
  return out;
}

/** Every document of the file's content. */
export function parseDocuments(data: Buffer): ExtractedDocument[] {
  return lineRanges(data).map((r) => JSON.parse(data.toString('utf8', r.start, r.end)) as ExtractedDocument);
}

/** The document on the line at `range` of `file`. */
export async function readDocumentAt(file: string, range: { start: number; end: number }): Promise<ExtractedDocument> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(range.end - range.start);
    await handle.read(buffer, 0, buffer.length, range.start);
    return JSON.parse(buffer.toString('utf8')) as ExtractedDocument;
  } finally {
    await handle.close();
  }
}
