// The files store's versions: a commit file per version (commits/vN.json: its manifest and the segments it reads, each
// with the documents removed from it since), and CURRENT naming the one in use. A version is made current by
// writing its commit file whole, then renaming CURRENT over itself: a reader sees the old version or the new one.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../errors.js';
import type { IndexManifest } from '../manifest.js';
import { sealed, unseal } from './segments.js';

export const CURRENT = 'CURRENT';
export const COMMITS = 'commits';
export const SEGMENTS = 'segments';
export const BLOBS = 'blobs';

/** What CURRENT may name: a version, as versionName makes them (no path, no `..`). */
const VERSION = /^v[0-9]+$/;

export interface Commit {
  manifest: IndexManifest;
  /** The segments this version reads, oldest first; `deleted`: its documents removed or replaced since. */
  segments: { name: string; deleted: string[] }[];
}

async function writeDurable(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces `file` with `data` in one rename: readers see the old content or the new, never a part. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeDurable(temp, data);
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** INDEX_WRITE_FAILED for a failure of the file system (the disk full, above all); other errors as they are. */
export function writeFailed(indexDir: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new AppError('INDEX_WRITE_FAILED', path.resolve(indexDir), 'the disk is full');
  if (code && /^E[A-Z]+$/.test(code)) return new AppError('INDEX_WRITE_FAILED', path.resolve(indexDir), (err as Error).message);
  return err;
}

/**
 * A small file's text ('' when there is none), read without yielding: CURRENT and a commit are read each time a
 * server looks for a new version, and under load each turn of the event loop waits behind every search in flight.
 */
function readSmall(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The version CURRENT names, or null when there is none. Throws INDEX_INVALID when CURRENT names anything but a
 * version (`../other/v1`, an absolute path): nothing is loaded from elsewhere.
 */
export async function currentVersion(indexDir: string): Promise<string | null> {
  const name = readSmall(path.join(indexDir, CURRENT)).trim();
  if (!name) return null;
  if (!VERSION.test(name))
    throw new AppError('INDEX_INVALID', path.resolve(indexDir), `CURRENT names ${JSON.stringify(name.slice(0, 200))}, which is not a version of this index`);
  return name;
}

/** The commit of version `name`. Throws INDEX_INVALID when it is missing or damaged. */
export async function readCommit(indexDir: string, name: string): Promise<Commit> {
  try {
    return unseal<Commit>(readFileSync(path.join(indexDir, COMMITS, `${name}.json`), 'utf8'), `${COMMITS}/${name}.json`);
  } catch (err) {
    throw new AppError('INDEX_INVALID', path.resolve(indexDir), (err as Error).message);
  }
}

/** The current version's name and commit, or null when nothing is current. Throws INDEX_INVALID as readCommit. */
export async function currentCommit(indexDir: string): Promise<{ name: string; commit: Commit } | null> {
  const name = await currentVersion(indexDir);
  return name ? { name, commit: await readCommit(indexDir, name) } : null;
}

/** The highest version a commit file of `indexDir` has (0 when none). */
export async function highestVersion(indexDir: string): Promise<number> {
  const names = await readdir(path.join(indexDir, COMMITS)).catch(() => [] as string[]);
  return names.reduce((n, e) => Math.max(n, /^v([0-9]+)\.json$/.exec(e)?.[1] ? Number(/^v([0-9]+)\.json$/.exec(e)![1]) : 0), 0);
}

/** Writes the commit of version `name` and makes it current. Throws what the file system throws. */
export async function publish(indexDir: string, name: string, commit: Commit): Promise<void> {
  await mkdir(path.join(indexDir, COMMITS), { recursive: true });
  await writeDurable(path.join(indexDir, COMMITS, `${name}.json`), sealed(commit));
  await writeFileAtomic(path.join(indexDir, CURRENT), `${name}\n`);
}

/**
 * Removes what neither of `keep` (the current commit and the one before it, which a server may still be loading)
 * reads: older commit files, segments, half-written segments of changes that died, and blobs no kept document needs.
 */
export async function prune(indexDir: string, keep: Commit[], keepNames: string[]): Promise<void> {
  const segments = new Set(keep.flatMap((c) => c.segments.map((s) => s.name)));
  const blobs = new Set(keep.flatMap((c) => c.manifest.documents.filter((d) => d.origin === 'api').map((d) => d.sha256)));
  const commits = new Set(keepNames.map((n) => `${n}.json`));
  const sweep = async (folder: string, kept: (entry: string) => boolean) => {
    for (const entry of await readdir(path.join(indexDir, folder)).catch(() => [] as string[])) {
      if (!kept(entry)) await rm(path.join(indexDir, folder, entry), { recursive: true, force: true });
    }
  };
  await sweep(COMMITS, (e) => commits.has(e));
  await sweep(SEGMENTS, (e) => segments.has(e));
  await sweep(BLOBS, (e) => blobs.has(e));
  // Folders of the format before segments: a build each.
  for (const entry of await readdir(indexDir).catch(() => [] as string[])) {
    if (entry.startsWith('build-')) await rm(path.join(indexDir, entry), { recursive: true, force: true });
  }
}
