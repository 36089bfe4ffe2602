// The build lock between processes: a stale lock found by several builders at once is taken over by exactly one.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK, acquireBuildLock } from '../../src/index/files/lock.js';
import { removeDir, tempDir } from '../helpers/real.js';

/** A pid that no process has: one of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await once(child, 'exit');
  return child.pid!;
}

describe('the build lock', () => {
  let root: string;
  beforeAll(async () => (root = await tempDir()));
  afterAll(() => removeDir(root));

  it("is held by one, refused to the next with the holder's pid, and free again once released", async () => {
    const dir = path.join(root, 'one');
    const release = await acquireBuildLock(dir);
    await expect(acquireBuildLock(dir)).rejects.toMatchObject({ code: 'BUILD_IN_PROGRESS', message: expect.stringContaining(`pid ${process.pid}`) });
    await release();
    await (await acquireBuildLock(dir))();
  });

  it('takes over a lock whose holder died', async () => {
    const dir = path.join(root, 'stale');
    await acquireBuildLock(dir);
    await writeFile(path.join(dir, LOCK), `${await deadPid()} sometoken`);
    const release = await acquireBuildLock(dir);
    expect((await readFile(path.join(dir, LOCK), 'utf8')).split(' ')[0]).toBe(String(process.pid));
    await release();
  });

  it('a release does not remove a lock that another holder has taken since', async () => {
    const dir = path.join(root, 'taken');
    const release = await acquireBuildLock(dir);
    await writeFile(path.join(dir, LOCK), `${process.pid} another-holders-token`);
    await release();
    expect(await readFile(path.join(dir, LOCK), 'utf8')).toBe(`${process.pid} another-holders-token`);
  });

  it('lets exactly one of several processes take over the same stale lock', async () => {
    const dir = path.join(root, 'race');
    await acquireBuildLock(dir);
    const script = path.join(root, 'taker.mts');
    await writeFile(
      script,
      `import { acquireBuildLock } from ${JSON.stringify(path.resolve('src/index/files/lock.ts'))};
const start = Number(process.argv[2]);
while (Date.now() < start) await new Promise((r) => setTimeout(r, 1));
try {
  const release = await acquireBuildLock(process.argv[3]);
  process.stdout.write('held');
  await new Promise((r) => setTimeout(r, 1500));
  await release();
} catch (err) {
  process.stdout.write(err.code);
}
`,
    );
    for (let round = 0; round < 3; round++) {
      await writeFile(path.join(dir, LOCK), `${await deadPid()} stale`);
      const start = Date.now() + 2500;
      const takers = Array.from({ length: 6 }, () =>
        spawn(process.execPath, ['--import', 'tsx', script, String(start), dir], { stdio: ['ignore', 'pipe', 'inherit'] }),
      );
      const outcomes = await Promise.all(
        takers.map(async (child) => {
          let out = '';
          child.stdout!.on('data', (d) => (out += d));
          await once(child, 'exit');
          return out;
        }),
      );
      expect(outcomes.filter((o) => o === 'held')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'BUILD_IN_PROGRESS')).toHaveLength(5);
    }
  });
});
