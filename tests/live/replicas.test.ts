// Past one machine: two servers on one PostgreSQL (npm run db:dev, its own process), a rebuild run by the CLI
// elsewhere served by both with no failed request, the database stopped (503 with a code) and started again (both
// heal by themselves). Everything through the same pg driver path production uses.
import { appendFile, cp } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, KABUL_ANSWER, KABUL_QUESTION, MODELS_DIR, removeDir, tempDir } from '../helpers/real.js';
import { runBuild, startServer, waitFor } from '../helpers/server.js';
import { freePort, startDatabaseProcess } from '../helpers/stores.js';

const json = async (res: Response): Promise<any> => res.json();

describe('two servers on one database', () => {
  let root: string;
  let port: number;
  let database: Awaited<ReturnType<typeof startDatabaseProcess>>;
  let env: NodeJS.ProcessEnv;
  const servers: Awaited<ReturnType<typeof startServer>>[] = [];

  beforeAll(async () => {
    root = await tempDir();
    port = await freePort();
    database = await startDatabaseProcess(port, path.join(root, 'data'));
    const corpus = path.join(root, 'corpus');
    await cp(path.resolve('corpus'), corpus, { recursive: true });
    env = { DATABASE_URL: database.url, CORPUS_DIR: corpus, MODELS_DIR, INDEX_POLL_MS: '500', ADMIN_TOKEN };
    await runBuild(env);
    for (let i = 0; i < 2; i++) servers.push(await startServer(env));
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await database?.stop();
    await removeDir(root);
  });

  const ask = (base: string, q: string) => fetch(`${base}/search?q=${encodeURIComponent(q)}&k=1`);

  it('both answer the Kabul question at rank 1, from the same build', async () => {
    const bodies = await Promise.all(servers.map(async (s) => json(await ask(s.base, KABUL_QUESTION))));
    for (const body of bodies) expect(body.hits[0].highlight.text).toContain(KABUL_ANSWER);
    expect(bodies[0].index).toBe(bodies[1].index);
  });

  it('both serve an edit rebuilt by the CLI, with no failed request meanwhile', async () => {
    const before = (await json(await fetch(`${servers[0].base}/health`))).index.build;
    await appendFile(path.join(env.CORPUS_DIR!, 'us-pakistan-afghanistan.txt'), '\n\nThe lighthouse keeper feeds the puffins every Tuesday.\n');
    const statuses: number[] = [];
    let done = false;
    const traffic = (async () => {
      // Paced, as clients are: a search every 20 ms, alternating servers (an unpaced loop only starves the build).
      for (let i = 0; !done; i++) {
        statuses.push((await ask(servers[i % 2].base, i % 3 ? KABUL_QUESTION : 'who feeds the puffins')).status);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await runBuild(env);
    const switched = await Promise.all(
      servers.map((s) =>
        waitFor(
          async () => {
            const body = await json(await ask(s.base, 'who feeds the puffins'));
            return body.index !== before && body.hits[0].text.includes('puffins') ? body.index : undefined;
          },
          'the new build',
          30_000,
        ),
      ),
    );
    done = true;
    await traffic;
    expect(switched[0]).toBe(switched[1]);
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('both serve a rebuild asked of one of them through the admin route', async () => {
    await appendFile(path.join(env.CORPUS_DIR!, 'us-pakistan-afghanistan.txt'), '\n\nThe ferry to the island leaves at seven.\n');
    const res = await fetch(`${servers[1].base}/admin/reindex`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(202);
    for (const s of servers) {
      await waitFor(
        async () => ((await json(await ask(s.base, 'when does the ferry leave'))).hits[0]?.text.includes('ferry') ? true : undefined),
        'the admin rebuild',
        60_000,
      );
    }
  });

  it('answers 503 DATABASE_UNAVAILABLE while the database is down, and heals by itself when it is back', async () => {
    await database.stop();
    for (const s of servers) {
      // A question not asked before: a cached answer would not need the database.
      const res = await ask(s.base, 'what does the keeper feed on Tuesdays');
      expect(res.status).toBe(503);
      expect((await json(res)).error.code).toBe('DATABASE_UNAVAILABLE');
    }
    database = await startDatabaseProcess(port, path.join(root, 'data'));
    for (const s of servers) {
      const body = await waitFor(
        async () => {
          const res = await ask(s.base, KABUL_QUESTION);
          return res.status === 200 ? json(res) : undefined;
        },
        'the server to heal',
        30_000,
      );
      expect(body.hits[0].highlight.text).toContain(KABUL_ANSWER);
    }
  });
});
