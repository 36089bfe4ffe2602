// Word (.docx): converted by mammoth to plain HTML (paragraphs, headings as headings, lists, tables), then read as
// blocks like any HTML. An encrypted Word file is an OLE container, not a zip: said so, not called damaged. Its XML
// parts are measured inflated before mammoth reads them (a zip bomb is too large, not read); images are never read.
import mammoth from 'mammoth';
import type { ExtractedText } from '../document.js';
import { DEFAULT_LIMITS, isStackOverflow, LimitExceeded, type ReadLimits } from '../limits.js';
import { htmlBlocks } from './html.js';
import { megabytes } from './inflate.js';
import { zipXmlBytes } from './zip.js';

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

/** Images become nothing: their bytes are never inflated or encoded (mammoth's default makes each a data URL). */
const noImages = mammoth.images.imgElement(async () => ({ src: '' }));

/**
 * A Word document's text by paragraph, headings as sections, its title the first top-level heading. Throws
 * DocxUnreadable, and LimitExceeded past `limits.maxInflatedBytes` of XML or `limits.maxNesting`.
 */
export async function extractDocx(bytes: Buffer, limits: ReadLimits = DEFAULT_LIMITS): Promise<ExtractedText> {
  if (OLE.every((b, i) => bytes[i] === b)) throw new DocxUnreadable('encrypted', 'encrypted (it needs a password), or an old Word file renamed .docx');
  const xml = await zipXmlBytes(bytes, limits.maxInflatedBytes);
  if (xml !== null && xml > limits.maxInflatedBytes) {
    throw new LimitExceeded('too-large', `too large (its XML inflates to more than ${megabytes(limits.maxInflatedBytes)}, the limit)`);
  }
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: bytes }, { convertImage: noImages })).value;
  } catch (err) {
    if (isStackOverflow(err)) throw err;
    throw new DocxUnreadable('unreadable', `unreadable (not a valid .docx: ${(err as Error).message.split(/[.:]/)[0]})`);
  }
  return htmlBlocks(html, undefined, limits.maxNesting);
}
