// How far compressed data inflates, counted as it inflates and given up past a limit, the inflated bytes dropped as
// they come: a zip bomb is measured in a few KB of memory, before a reader holds any of it. Used on a Word file's
// parts (zip.ts) and a PDF's streams (pdf-streams.ts).
import { constants, createInflate, createInflateRaw } from 'node:zlib';

/**
 * The bytes `data` inflates to (zlib's format, or raw deflate when `raw`), counted up to just past `limit`: a
 * result over `limit` means "more". Damaged data counts what it gave before the damage.
 */
export function inflatedSize(data: Uint8Array, limit: number, raw = false): Promise<number> {
  return new Promise((resolve) => {
    const options = { finishFlush: constants.Z_SYNC_FLUSH };
    const inflate = raw ? createInflateRaw(options) : createInflate(options);
    let size = 0;
    inflate.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        inflate.destroy();
        resolve(size);
      }
    });
    inflate.on('end', () => resolve(size));
    inflate.on('error', () => resolve(size));
    inflate.on('close', () => resolve(size));
    inflate.end(data);
  });
}

/** How a limit on inflated bytes reads in a skip's reason. */
export const megabytes = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;
