// Word (.docx): converted by mammoth to plain HTML (paragraphs, headings as headings, lists, tables), then read as
// blocks like any HTML. An encrypted Word file is an OLE container, not a zip: said so, not called damaged.
import mammoth from 'mammoth';
import type { ExtractedText } from '../document.js';
import { htmlBlocks } from './html.js';

/** The signature of an OLE compound file: what Word writes for an encrypted document (and for the old .doc). */
const OLE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/** Why a Word file gives no text. */
export class DocxUnreadable extends Error {
  constructor(
    readonly code: 'encrypted' | 'unreadable',
    message: string,
  ) {
    super(message);
  }
}

/** A Word document's text by paragraph, headings as sections, its title the first top-level heading. */
export async function extractDocx(bytes: Buffer): Promise<ExtractedText> {
  if (OLE.every((b, i) => bytes[i] === b)) throw new DocxUnreadable('encrypted', 'encrypted (it needs a password), or an old Word file renamed .docx');
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: bytes })).value;
  } catch (err) {
    throw new DocxUnreadable('unreadable', `unreadable (not a valid .docx: ${(err as Error).message.split(/[.:]/)[0]})`);
  }
  return htmlBlocks(html);
}
