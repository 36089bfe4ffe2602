// SIGTERM while a rebuild runs and another is queued: the server exits within seconds, its build child with it, and
// CURRENT never moves afterwards. The server runs as a user runs it, in its own process.
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentVersion } from '../../src/index/files/commits.js';
import { exited } from '../../src/live/processes.js';
import { isAlive } from '../../src/pids.js';
import { ADMIN_TOKEN, MODELS_DIR, longDocument, removeDir, tempDir, writeCorpus } from '../helpers/real.js';
import { childrenOf, runBuild, startServer, waitFor } from '../helpers/server.js';
import { freePort } from '../helpers/stores.js';

const json = async (res: Response): Promise<any> => res.json();

describe('SIGTERM during a rebuild', () => {
  let root: string;
  let indexDir: string;
  let server: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    root = await tempDir();
    const corpus = await writeCorpus(root, { 'notes.txt': 'The kettle is in the left cupboard.' });
    indexDir = path.join(root, 'index');
    const env = { CORPUS_DIR: corpus, INDEX_DIR: indexDir, MODELS_DIR, ADMIN_TOKEN, LOG_LEVEL: 'info' };
    await runBuild(env);
    // Long enough that the rebuild is still embedding when the server is told to stop.
    await writeCorpus(root, { 'long.txt': longDocument(6000) });
    server = await startServer(env);
  });
  afterAll(async () => {
    await server?.stop();
    await removeDir(root);
  });

  it('exits within 5 s, stops its build child, starts no queued build, and CURRENT stays as it was', async () => {
    const reindex = () => fetch(`${server.base}/admin/reindex`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect((await reindex()).status).toBe(202);
    // The build's process: the server's child (its pid is not told over HTTP).
    const buildPid = await waitFor(async () => {
      const h = await json(await fetch(`${server.base}/health`));
      return h.rebuild.running ? childrenOf(server.child.pid!)[0] : undefined;
    }, 'the rebuild to start');
    expect(isAlive(buildPid)).toBe(true);
    // One more asked for while it runs: queued, never to start.
    expect((await json(await reindex())).rebuild).toMatchObject({ running: true, queued: true });
    const before = await currentVersion(indexDir);

    const started = Date.now();
    server.child.kill('SIGTERM');
    const code = await exited(server.child);
    const seconds = (Date.now() - started) / 1000;

    expect(code).toBe(0);
    expect(seconds).toBeLessThan(5);
    expect(isAlive(buildPid)).toBe(false);

    // Nothing of the server is left to write: what it left is final.
    expect(await currentVersion(indexDir)).toBe(before);
    const left = await readdir(indexDir);
    expect(left.filter((e) => e.endsWith('.partial'))).toEqual([]);
    expect(left).not.toContain('build.lock');
  });
});

describe('npm run db:dev given SIGTERM', () => {
  it('stops the development database under npm, leaving no process and its port free', async () => {
    const port = await freePort();
    const npm = spawn('npm', ['run', '-s', 'db:dev', '--', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
    let out = '';
    npm.stdout!.on('data', (d) => (out += d));
    npm.stderr!.resume();
    await waitFor(async () => (out.includes('DATABASE_URL=') ? true : undefined), 'the database to listen', 60_000);
    const descendants = (pid: number): number[] => childrenOf(pid).flatMap((c) => [c, ...descendants(c)]);
    const tree = descendants(npm.pid!);
    expect(tree.length).toBeGreaterThan(0);
    npm.kill('SIGTERM');
    await exited(npm);
    await waitFor(async () => (tree.every((pid) => !isAlive(pid)) ? true : undefined), 'every process under npm to exit', 15_000);
    // The port is free again: a server can listen on it.
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((r) => probe.close(r));
  });
});
