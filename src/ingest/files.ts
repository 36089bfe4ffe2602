// Reading a document's bytes safely: only a regular file (a FIFO or a device never blocks a read), within a size
// limit and a time limit, hashed as read; and the reasons a file is left out.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/** Documents larger than this are skipped (and never read into memory whole). */
export const MAX_DOCUMENT_BYTES = 100 * 1024 * 1024;

/**
 * Why a file is left out of the index: the kinds a build's summary and /health count. `too-large`, `too-complex` and
 * `timeout` are the reading limits' (limits.ts); `changed`, a file that kept changing while the build read it.
 */
export type SkipCode =
  | 'unsupported'
  | 'empty'
  | 'binary'
  | 'unreadable'
  | 'too-large'
  | 'too-complex'
  | 'timeout'
  | 'encrypted'
  | 'link'
  | 'removed'
  | 'not-a-file'
  | 'changed'
  | 'conflict';

/** A file left out, and why: a code, and the reason in words. */
export interface Skipped {
  source: string;
  code: SkipCode;
  reason: string;
  /** For a file read and found to give no text: the hash of its bytes, so the same bytes are not read again. */
  sha256?: string;
}

/** How many files were left out for each reason: skip code → count, the codes in order of first appearance. */
export function countByCode(skipped: readonly Skipped[]): Partial<Record<SkipCode, number>> {
  const counts: Partial<Record<SkipCode, number>> = {};
  for (const s of skipped) counts[s.code] = (counts[s.code] ?? 0) + 1;
  return counts;
}

/** Why a file was not read, or its bytes and their SHA-256. */
export type FileRead = { bytes: Buffer; sha256: string } | { skipped: string; code: SkipCode };

/** SHA-256 of bytes, in hex. */
export const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The bytes of `file` and the hash of exactly those bytes, if it is a regular file under `maxBytes`; opened without
 * blocking (so a FIFO put in a document's place cannot hang the reader) and read within `timeoutMs`.
 */
export async function readRegularFile(file: string, maxBytes = MAX_DOCUMENT_BYTES, timeoutMs = 30_000): Promise<FileRead> {
  let handle: FileHandle;
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
    const bytes = await handle.readFile({ signal: AbortSignal.timeout(timeoutMs) });
    // A file that grew past the limit after its size was taken is refused all the same.
    if (bytes.length > maxBytes) return { skipped: `too large (over ${maxBytes} bytes)`, code: 'too-large' };
    return { bytes, sha256: sha256Of(bytes) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return {
      skipped: e.name === 'TimeoutError' || e.name === 'AbortError' ? 'unreadable (timed out)' : `unreadable (${e.code ?? 'error'})`,
      code: 'unreadable',
    };
  } finally {
    await handle.close();
  }
}
