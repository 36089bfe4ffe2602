// One build at a time per index folder: a lock file holding the builder's pid, taken over when that process is gone.
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from './errors.js';

const LOCK = 'build.lock';

/** Whether a process with this pid exists (owned by anyone). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the build lock of `indexDir`; returns its release. Throws BUILD_IN_PROGRESS when a live process holds it. */
export async function acquireBuildLock(indexDir: string): Promise<() => Promise<void>> {
  await mkdir(indexDir, { recursive: true });
  const file = path.join(indexDir, LOCK);
  for (let attempt = 0; attempt < 3; attempt++) {
    // The pid is written before the lock appears (hard link of a finished file), so a lock is never seen empty.
    const temp = `${file}.${process.pid}.${attempt}`;
    await writeFile(temp, String(process.pid));
    try {
      await link(temp, file);
      return async () => {
        await rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (isAlive(holder)) throw new AppError('BUILD_IN_PROGRESS', path.resolve(indexDir), holder);
      // The holder died: the lock is stale.
      await rm(file, { force: true });
    } finally {
      await rm(temp, { force: true });
    }
  }
  throw new AppError('BUILD_IN_PROGRESS', path.resolve(indexDir), 'unknown');
}
