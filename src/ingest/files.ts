// Reading a document's bytes safely: only a regular file (a FIFO or a device never blocks a read), within a size
// limit and a time limit; and the reasons a file is left out.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** Documents larger than this are skipped (and never read into memory whole). */
export const MAX_DOCUMENT_BYTES = 100 * 1024 * 1024;

/** Why a file is left out of the index: the kinds a build's summary and /health count. */
export type SkipCode = 'unsupported' | 'empty' | 'binary' | 'unreadable' | 'too-large' | 'encrypted' | 'link' | 'removed' | 'not-a-file' | 'conflict';

/** A file left out, and why: a code, and the reason in words. */
export interface Skipped {
  source: string;
  code: SkipCode;
  reason: string;
  /** For a file read and found to give no text: the hash of its bytes, so the same bytes are not read again. */
  sha256?: string;
}

/** Why a file was not read, or its bytes. */
export type FileRead = { bytes: Buffer } | { skipped: string; code: SkipCode };

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
    return code === 'ENOENT' ? { skipped: 'removed while being read', code: 'removed' } : { skipped: `unreadable (${code ?? 'error'})`, code: 'unreadable' };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { skipped: 'not a regular file', code: 'not-a-file' };
    if (info.size > maxBytes) return { skipped: `too large (${info.size} bytes; the limit is ${maxBytes})`, code: 'too-large' };
    return { bytes: await handle.readFile({ signal: AbortSignal.timeout(timeoutMs) }) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { skipped: e.name === 'TimeoutError' || e.name === 'AbortError' ? 'unreadable (timed out)' : `unreadable (${e.code ?? 'error'})`, code: 'unreadable' };
  } finally {
    await handle.close();
  }
}
