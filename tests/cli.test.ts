// The command line as a user meets it: a .env file, --version, a port already taken, and the query and eval
// commands' answers to bad input — each run as its own process.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, exited, startCommand, stopProcess, waitForLog } from '../src/live/processes.js';
import { isAlive } from '../src/pids.js';
import { MODELS_DIR, removeDir, tempDir, writeCorpus } from './helpers/real.js';
import { childrenOf, compile, runBuild, startServer, waitFor } from './helpers/server.js';
import { freePort } from './helpers/stores.js';

/** Runs the CLI to its end; its exit code, standard output and standard error. */
async function run(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  const child = startCommand(args, { env: { ...process.env, ...options.env }, stdout: true, cwd: options.cwd, compiled: true });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const code = await exited(child);
  return { code, out, err };
}

describe('the command line', () => {
  let root: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    root = await tempDir();
    const corpus = await writeCorpus(root, {
      'notes.txt': 'The kettle is in the left cupboard. Mugs hang above the sink.\n\nThe spare key is under the blue pot.',
    });
    // Passages of about one sentence, so that the two paragraphs give several hits.
    env = { CORPUS_DIR: corpus, INDEX_DIR: path.join(root, 'index'), MODELS_DIR, CHUNK_WORDS: '8', CHUNK_OVERLAP: '0' };
    await runBuild(env);
    compile();
  });
  afterAll(() => removeDir(root));

  it('prints its version, also as the passage-search command npx finds in the checkout', async () => {
    const { code, out } = await run(['--version']);
    expect(code).toBe(0);
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    compile();
    const npx = execFileSync('npx', ['--no-install', 'passage-search', '--version'], { encoding: 'utf8' });
    expect(npx.trim()).toBe(out.trim());
  });

  it('reads .env from the working folder, the environment winning over it', async () => {
    const port = await freePort();
    const cwd = await tempDir();
    await writeFile(
      path.join(cwd, '.env'),
      `PORT=${port}\nHOST=127.0.0.1\nCORPUS_DIR=${env.CORPUS_DIR}\nINDEX_DIR=${env.INDEX_DIR}\nMODELS_DIR=${MODELS_DIR}\nLOG_LEVEL=silent\n`,
    );
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['PORT', 'HOST', 'CORPUS_DIR', 'INDEX_DIR', 'MODELS_DIR'].includes(k)));
    // LOG_LEVEL from the environment wins over the file's "silent": the address is logged.
    const child = startCommand(['serve'], { env: { ...clean, LOG_LEVEL: 'info' }, cwd, compiled: true });
    try {
      const [, base] = await waitForLog(child, /"url":"(http:\/\/[^"]+)"/);
      expect(base).toBe(`http://127.0.0.1:${port}`);
      expect(((await (await fetch(`${base}/health`)).json()) as { status: string }).status).toBe('ok');
    } finally {
      await stopProcess(child, 10_000);
      await removeDir(cwd);
    }
  });

  it('says PORT_IN_USE, and exits 1, when the port is taken', async () => {
    const first = await startServer(env);
    try {
      const port = new URL(first.base).port;
      const second = await run(['serve'], { env: { ...env, PORT: port } });
      expect(second.code).toBe(1);
      expect(second.err).toContain('error PORT_IN_USE');
      expect(second.err).toContain(port);
    } finally {
      await first.stop();
    }
  });

  it("checks query's options as the API checks its parameters", async () => {
    for (const [args, path, says] of [
      [['-k', 'abc'], '-k', 'must be'],
      [['-k', '0'], '-k', 'must be'],
      [['-k', '99'], '-k', 'must be'],
      [['--min-score', 'high'], '--min-score', 'must be'],
      [['--offset', '5000'], '--offset', 'must be'],
      [['--group-size', '2'], '--group-size', 'needs groupBy=source'],
      [['--group-by', 'title'], '--group-by', 'must be'],
    ] as const) {
      const { code, err } = await run(['query', 'where is the kettle', ...args], { env });
      expect(code).toBe(1);
      expect(err).toContain('error INVALID_REQUEST');
      expect(err).toContain(`${path}: ${says}`);
    }
    const blank = await run(['query', '   '], { env });
    expect(blank.code).toBe(1);
    expect(blank.err).toContain('question: must not be empty');
  });

  it('answers, honours --min-score, and says when no passage answers', async () => {
    const good = await run(['query', 'where is the kettle', '-k', '1'], { env });
    expect(good.code).toBe(0);
    expect(good.out).toContain('[The kettle is in the left cupboard.]');
    expect(good.out).not.toContain('weak match');
    const second = await run(
      ['query', 'where is the kettle', '-k', '1', '--offset', '1', '--source', '*.txt', '--group-by', 'source', '--group-size', '2', '--all'],
      { env },
    );
    expect(second.out).toMatch(/^1\. notes\.txt:\d+-\d+ {2}score/);
    expect(second.out).not.toContain('[The kettle is in the left cupboard.]');
    expect(second.out).toMatch(/\[(Mugs hang above the sink\.|The spare key is under the blue pot\.)\]/);
    const elsewhere = await run(['query', 'where is the kettle', '--source', 'reports/**'], { env });
    expect(elsewhere.out).toContain('No passage matches.');
    const none = await run(['query', 'where is the kettle', '--min-score', '0.99'], { env });
    expect(none.out).toContain('No passage matches.');
    const weak = await run(['query', 'quantum chromodynamics of neutron stars', '-k', '1'], { env });
    expect(weak.code).toBe(0);
    expect(weak.out).toBe('No passage answers this. 1 weaker match: add --all to see it.\n');
    const shown = await run(['query', 'quantum chromodynamics of neutron stars', '-k', '1', '--all'], { env });
    expect(shown.out).toMatch(/^1\. \S+:\d+-\d+ {2}score \d\.\d{3} {2}\(weak match\)/);
    const asJson = JSON.parse((await run(['query', 'quantum chromodynamics of neutron stars', '-k', '1', '--json'], { env })).out);
    expect(asJson.hits[0].confident).toBe(false);
    expect(asJson.hits[0].score).toBeLessThanOrEqual(asJson.threshold);
  });

  it("names a missing or malformed questions file in eval's error", async () => {
    const missing = await run(['eval', path.join(root, 'nope.json')], { env });
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`error EVAL_INPUT_INVALID: The evaluation input ${path.join(root, 'nope.json')} cannot be used: no such file`);
    await writeFile(path.join(root, 'bad.json'), JSON.stringify([{ q: 'x', key: [] }]));
    const bad = await run(['eval', path.join(root, 'bad.json')], { env });
    expect(bad.err).toContain('error EVAL_INPUT_INVALID');
    expect(bad.err).toContain('0.key');
  });

  it('npm start stops the server it started when npm is given SIGTERM', async () => {
    const npm = spawn('npm', ['start'], { cwd: ROOT, env: { ...process.env, ...env, PORT: '0' }, stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      await waitForLog(npm, /"url":"(http:\/\/[^"]+)"/);
      const server = childrenOf(npm.pid!)
        .flatMap((pid) => [pid, ...childrenOf(pid)])
        .find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('serve'));
      expect(server).toBeDefined();
      npm.kill('SIGTERM');
      await exited(npm);
      await waitFor(async () => (isAlive(server!) ? undefined : true), 'the server to stop', 5000);
    } finally {
      await stopProcess(npm);
    }
  });
});
