// The limits every file of the corpus is read under, so that no one file can stop a build, hold it for long or take
// its memory: what a compressed document may inflate to, pages, nesting (checked by the readers), and time and memory
// (the reader pool's: each file is read in a worker thread with a heap cap, ended at its deadline). Constants, not
// settings: they bound hostile files, and ordinary ones up to the 100 MB file limit fit well inside them.

/** What the readers check themselves, in any thread. */
export interface ReadLimits {
  /** Bytes a compressed part may inflate to: a Word file's XML parts together, any one stream of a PDF (not images). */
  maxInflatedBytes: number;
  /** Pages of a PDF. */
  maxPages: number;
  /** Depth of nested elements (HTML, a Word file's HTML) or of nested quotes and lists (Markdown). */
  maxNesting: number;
}

/** What the reader pool enforces from outside the reader. */
export interface PoolLimits {
  /** Files read at once, each in a worker thread of its own. */
  workers: number;
  /** A worker's heap (V8's old generation), in MB: a reader that needs more is ended (`too-large`). */
  heapMb: number;
  /** Time a file's reader gets: `baseMs`, plus `msPerMb` for each MB of the file (`timeout` past it). */
  baseMs: number;
  msPerMb: number;
}

export type ExtractLimits = ReadLimits & PoolLimits;

/**
 * The limits of a build. Two workers of 640 MB each and the build's own memory stay under 2 GB; a 30 MB file of
 * prose in any format (a PDF of 12,000 pages) is read within them well inside its time (330 s for 30 MB) on a busy
 * machine; the hostile files measured (docs/reliability.md) pass one of them within seconds.
 */
export const DEFAULT_LIMITS: Readonly<ExtractLimits> = Object.freeze({
  maxInflatedBytes: 64 * 1024 * 1024,
  maxPages: 50_000,
  maxNesting: 256,
  workers: 2,
  heapMb: 640,
  baseMs: 30_000,
  msPerMb: 10_000,
});

/** The time a file of `bytes` bytes may be read for. */
export function deadlineFor(limits: PoolLimits, bytes: number): number {
  return Math.round(limits.baseMs + (limits.msPerMb * bytes) / (1024 * 1024));
}

/** A file past one of the readers' limits: its skip code and the reason in words. */
export class LimitExceeded extends Error {
  constructor(
    readonly code: 'too-large' | 'too-complex',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Whether an error is V8's stack overflow: a reader recursing over nesting deeper than its checks saw. V8 gives it no
 * code, so its message is the only mark it has.
 */
export function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && err.message.includes('Maximum call stack size exceeded');
}

/** The nesting limit's skip, for a reader that found `depth` levels. */
export function tooDeep(depth: number | string, limit: number): LimitExceeded {
  return new LimitExceeded('too-complex', `too complex (nested ${depth} levels deep; the limit is ${limit})`);
}
