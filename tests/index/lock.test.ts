// The build lock between processes: a stale lock found by several builders at once is taken over by exactly one.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
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
    // Each taker (the compiled module, as the CLI runs it) says it is ready, tries the lock the moment it is told to
    // go, says what it got, and the one that holds it lets go when told to.
    const script = path.join(root, 'taker.mjs');
    await writeFile(
      script,
      `import { createInterface } from 'node:readline';
import { acquireBuildLock } from ${JSON.stringify(pathToFileURL(path.resolve('dist/index/files/lock.js')).href)};
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
process.stdout.write('ready\\n');
await lines.next();
try {
  const release = await acquireBuildLock(process.argv[2]);
  process.stdout.write('held\\n');
  await lines.next();
  await release();
} catch (err) {
  process.stdout.write(err.code + '\\n');
}
process.exit(0);
`,
    );
    for (let round = 0; round < 3; round++) {
      await writeFile(path.join(dir, LOCK), `${await deadPid()} stale`);
      const takers = Array.from({ length: 6 }, () => {
        const child = spawn(process.execPath, [script, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
        const said = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
        return { child, next: async () => (await said.next()).value as string };
      });
      expect(await Promise.all(takers.map((t) => t.next()))).toEqual(Array(6).fill('ready'));
      for (const t of takers) t.child.stdin!.write('go\n');
      const outcomes = await Promise.all(takers.map((t) => t.next()));
      expect(outcomes.filter((o) => o === 'held')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'BUILD_IN_PROGRESS')).toHaveLength(5);
      // Every refusal came while the lock was held: only now does its holder let go.
      takers[outcomes.indexOf('held')].child.stdin!.end('release\n');
      await Promise.all(takers.map((t) => (t.child.exitCode === null ? once(t.child, 'exit') : null)));
    }
  });
});
