// One build at a time per index folder: a lock file naming its holder (pid and a token of its own). A lock whose
// holder has died is taken over under a second, short-lived lock, so that two processes finding the same stale lock
// cannot both remove it and both believe they hold the folder.
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../errors.js';
import { isAlive } from '../../pids.js';

export const LOCK = 'build.lock';
const TAKEOVER = 'build.lock.takeover';
/** A takeover lock older than this was left by a process that died inside the few milliseconds it is held. */
const TAKEOVER_STALE_MS = 10_000;

interface Holder {
  pid: number;
  token: string;
}

async function readHolder(file: string): Promise<Holder | null> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  const [pid, token = ''] = text.trim().split(' ');
  return { pid: Number(pid), token };
}

/** Creates `file` holding `content` only if it does not exist: written aside, then hard-linked (never seen empty). */
async function createExclusive(file: string, content: string): Promise<boolean> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(temp, content);
    await link(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * Removes the lock at `file` if, seen under the takeover lock, it still names a dead holder. Only a lock that exists
 * and names a dead process is removed: one that vanished meanwhile may already be a live builder's new lock.
 */
async function removeIfStale(dir: string, file: string): Promise<void> {
  const takeover = path.join(dir, TAKEOVER);
  if (!(await createExclusive(takeover, `${process.pid}`))) {
    const info = await stat(takeover).catch(() => null);
    if (info && Date.now() - info.mtimeMs > TAKEOVER_STALE_MS) await rm(takeover, { force: true });
    return;
  }
  try {
    const holder = await readHolder(file);
    if (holder && !isAlive(holder.pid)) await rm(file, { force: true });
  } finally {
    await rm(takeover, { force: true });
  }
}

/**
 * Takes the build lock of `indexDir`, waiting up to `waitMs` for a live holder to let go; returns its release, which
 * removes the lock only while it is still this holder's. Throws BUILD_IN_PROGRESS when a live process holds it.
 */
export async function acquireBuildLock(indexDir: string, waitMs = 0): Promise<() => Promise<void>> {
  await mkdir(indexDir, { recursive: true });
  const file = path.join(indexDir, LOCK);
  const token = randomBytes(8).toString('hex');
  const until = Date.now() + waitMs;
  let holderPid: number | string = 'unknown';
  for (let attempt = 0; ; attempt++) {
    if (await createExclusive(file, `${process.pid} ${token}`)) {
      return async () => {
        const holder = await readHolder(file);
        if (holder?.token === token) await rm(file, { force: true });
      };
    }
    const holder = await readHolder(file);
    if (holder && isAlive(holder.pid)) {
      holderPid = holder.pid;
      if (Date.now() >= until) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    if (holder) await removeIfStale(indexDir, file);
    if (attempt >= 5 && Date.now() >= until) break;
  }
  throw new AppError('BUILD_IN_PROGRESS', path.resolve(indexDir), holderPid);
}
