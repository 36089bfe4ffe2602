// Reading a document's bytes safely: only a regular file (a FIFO or a device never blocks a read), within a size
// limit and a time limit; and telling text from binary content.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** Documents larger than this are skipped (and never read into memory whole). */
export const MAX_DOCUMENT_BYTES = 100 * 1024 * 1024;

/** Why a file was not read, or its bytes. */
export type FileRead = { bytes: Buffer } | { skipped: string };

/**
 * The bytes of `file` if it is a regular file under `maxBytes`; opened without blocking (so a FIFO put in a
 * document's place cannot hang the reader) and read within `timeoutMs`.
 */
export async function readRegularFile(file: string, maxBytes = MAX_DOCUMENT_BYTES, timeoutMs = 30_000): Promise<FileRead> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { skipped: code === 'ENOENT' ? 'removed while being read' : `unreadable (${code ?? 'error'})` };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { skipped: 'not a regular file' };
    if (info.size > maxBytes) return { skipped: `too large (${info.size} bytes; the limit is ${maxBytes})` };
    return { bytes: await handle.readFile({ signal: AbortSignal.timeout(timeoutMs) }) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { skipped: e.name === 'TimeoutError' || e.name === 'AbortError' ? 'unreadable (timed out)' : `unreadable (${e.code ?? 'error'})` };
  } finally {
    await handle.close();
  }
}

/**
 * Whether bytes are binary rather than text: a NUL byte, or (in their first 64 KB) more than one character in ten that
 * is a control character other than white space or a byte sequence that is not UTF-8.
 */
export function isBinary(bytes: Buffer): boolean {
  if (bytes.includes(0)) return true;
  const head = bytes.subarray(0, 65536).toString('utf8');
  if (!head.length) return false;
  let odd = 0;
  for (const ch of head) {
    const c = ch.codePointAt(0)!;
    if (c === 0xfffd || (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) || (c >= 0x7f && c < 0xa0)) odd++;
  }
  return odd * 10 > [...head].length;
}
