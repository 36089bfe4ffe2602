// Plain text in any common encoding: UTF-8 when the bytes are UTF-8 (with or without a byte-order mark), else the
// encoding the document declares or chardet finds (a UTF-16 or UTF-32 byte-order mark first of all), decoded by
// iconv-lite, which leaves the mark out. Text that decodes to control characters is binary, whatever its name says.
import chardet from 'chardet';
import iconv from 'iconv-lite';
import type { ExtractedText } from '../document.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether decoded text reads as text: no NUL, and at most one character in ten a control character or U+FFFD. */
function looksLikeText(text: string): boolean {
  const head = text.slice(0, 65536);
  if (head.includes('\0')) return false;
  let odd = 0;
  let count = 0;
  for (const ch of head) {
    count++;
    const c = ch.codePointAt(0)!;
    if (c === 0xfffd || (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) || (c >= 0x7f && c < 0xa0)) odd++;
  }
  return odd * 10 <= count;
}

/**
 * The encoding to decode bytes with, or null when nothing fits: UTF-8 when they are UTF-8 (a UTF-8 mark included),
 * else the encoding the document declares (an HTML page's `<meta charset>`), else chardet's guess.
 */
function guessEncoding(bytes: Buffer, declared?: string): string | null {
  try {
    utf8.decode(bytes);
    return 'utf-8';
  } catch {
    // Not UTF-8: guessed below.
  }
  const named = declared?.toLowerCase();
  const guess = named && named !== 'utf-8' && iconv.encodingExists(named) ? named : chardet.detect(bytes.subarray(0, 65536))?.toLowerCase();
  // Bytes that are not UTF-8 are never decoded as UTF-8 (chardet reports windows-1252, not Latin-1, when the bytes
  // 0x80–0x9F, its curly quotes and dashes, are there).
  return guess && guess !== 'utf-8' && iconv.encodingExists(guess) ? guess : null;
}

/**
 * The text of bytes in whichever common encoding they are, line ends made `\n`; null when they are not text.
 * `declared` is the encoding the document names for itself, taken when the bytes are not UTF-8.
 */
export function decodeText(bytes: Buffer, declared?: string): { text: string; encoding: string } | null {
  const encoding = guessEncoding(bytes, declared);
  if (!encoding) return null;
  // iconv-lite leaves the byte-order mark out of the text.
  const text = iconv.decode(bytes, encoding);
  if (!looksLikeText(text)) return null;
  return { text: text.replace(/\r\n?/g, '\n'), encoding };
}

/** A plain-text document: its text as decoded, untouched otherwise, so offsets are offsets into what was written. */
export function extractPlainText(text: string): ExtractedText {
  return { text };
}

/** The encoding an HTML page declares in its first kilobytes (`<meta charset>` or `http-equiv` content), if any. */
export function declaredCharset(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, 4096).toString('latin1');
  return /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1];
}
