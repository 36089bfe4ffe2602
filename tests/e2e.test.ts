// The product as a user runs it, compiled: the CLI builds the seed index with the embedded model, the CLI serves it, and
// questions go over real HTTP.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KABUL_ANSWER, KABUL_QUESTION, MODELS_DIR, removeDir, tempDir } from './helpers/real.js';
import { exited, startCommand } from '../src/live/processes.js';
import { compile, runBuild, startServer } from './helpers/server.js';

// Response bodies are checked field by field below.
const json = async (res: Response): Promise<any> => res.json();

// One index of the seed, built as a user builds it, for both servers below (which only read it).
let root: string;
let buildOutput = '';
const seedEnv = () => ({ INDEX_DIR: path.join(root, 'index'), MODELS_DIR, CORPUS_DIR: 'corpus' });
beforeAll(async () => {
  root = await tempDir();
  // As the npm commands run it: compiled.
  compile();
  buildOutput = await runBuild(seedEnv(), true);
});
afterAll(() => removeDir(root));

describe('seed document end to end', () => {
  let base: string;
  let stop: () => Promise<number | null>;

  beforeAll(async () => {
    ({ base, stop } = await startServer(seedEnv(), true));
  });

  afterAll(async () => {
    await stop?.();
  });

  it('builds the seed index', () => {
    expect(buildOutput).toMatch(/Indexed 1 document\(s\) \(1 read, 0 unchanged\): \d+ passages/);
    expect(buildOutput).toMatch(/Steps: reuse \d+\.\d\d s, extract \d+\.\d\d s, chunk \d+\.\d\d s, embed \d+\.\d\d s, assemble \d+\.\d\d s, save \d+\.\d\d s/);
  });

  it('answers the Kabul question with the passage that says so, at rank 1, sentence marked', async () => {
    const res = await fetch(`${base}/search?q=${encodeURIComponent(KABUL_QUESTION)}`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.hits[0].text).toContain(KABUL_ANSWER);
    expect(body.hits[0].highlight.text).toContain(KABUL_ANSWER);
    expect(body.hits[0].source).toBe('us-pakistan-afghanistan.txt');
  });

  it('answers from the command line without a server, as JSON or as marked text', async () => {
    const env = { ...process.env, ...seedEnv() };
    const ask = (args: string[]) =>
      new Promise<string>((resolve, reject) => {
        const child = startCommand(['query', KABUL_QUESTION, ...args], { env, stdout: true, compiled: true });
        let out = '';
        child.stdout!.on('data', (d) => (out += d));
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`query exited with ${code}`))));
      });
    const json = JSON.parse(await ask(['--json', '-k', '2']));
    expect(json.hits).toHaveLength(2);
    expect(json.hits[0].highlight.text).toContain(KABUL_ANSWER);
    const text = await ask(['-k', '1']);
    expect(text).toMatch(/^1\. us-pakistan-afghanistan\.txt:\d+-\d+ {2}score \d\.\d{3}/);
    expect(text).toContain(`[Next, the averseness to the Afghanistan of the s means that Pakistan is ${KABUL_ANSWER}.]`);
  });

  it('indexes the repeated title line once', async () => {
    const body = await json(await fetch(`${base}/search?q=${encodeURIComponent('us relations with pakistan and afghanistan relationship')}&k=50`));
    // The article repeats its title line four times; a passage holds it once, and only one passage holds it at all.
    const title = 'us relations with pakistan and afghanistan relationship';
    const holding = body.hits.map((h: { text: string }) => h.text.toLowerCase().split(title).length - 1);
    expect(holding.reduce((a: number, b: number) => a + b, 0)).toBe(1);
  });

  it('serves health and JSON errors over the socket', async () => {
    expect((await json(await fetch(`${base}/health`))).status).toBe('ok');
    const bad = await fetch(`${base}/search?k=3`);
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.code).toBe('INVALID_REQUEST');
  });
});

describe('the compiled server stopped by SIGTERM', () => {
  let server: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    server = await startServer(seedEnv(), true);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('stops cleanly on SIGTERM, finishing the requests it has taken', async () => {
    const url = `${server.base}/search?q=${encodeURIComponent(KABUL_QUESTION)}&k=50`;
    // Requests on open connections, then the signal while they are being answered.
    const inFlight = Array.from({ length: 16 }, () =>
      fetch(url).then(
        (r) => r.status,
        (e: Error) => e.message,
      ),
    );
    await new Promise((r) => setTimeout(r, 20));
    server.child.kill('SIGTERM');
    const code = await exited(server.child);
    expect(code).toBe(0);
    const outcomes = await Promise.all(inFlight);
    // Every request was either answered in full or never accepted; none was cut off or failed.
    for (const o of outcomes) expect(o === 200 || o === 'fetch failed').toBe(true);
    expect(outcomes.filter((o) => o === 200).length).toBeGreaterThan(0);
    await expect(fetch(`${server.base}/health`)).rejects.toThrow();
  });
});
