// The connection level, against the server as a user runs it: an early 413 closes its connection instead of leaving
// the rest of a body to be read as the next request; what Node's HTTP parser refuses still gets the one JSON body.
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS_DIR, removeDir, tempDir, writeCorpus } from '../helpers/real.js';
import { exited } from '../../src/live/processes.js';
import { runBuild, startServer } from '../helpers/server.js';

function request(
  agent: http.Agent,
  base: string,
  method: string,
  path: string,
  body?: Buffer,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, base),
      { method, agent, headers: body ? { 'content-type': 'application/json', 'content-length': body.length } : {} },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      },
    );
    // A write cut short by the server's close is expected once the answer is in.
    req.on('error', (err) => reject(err));
    req.end(body);
  });
}

/** Sends raw bytes and reads the whole answer until the server closes. */
function raw(base: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.end(bytes));
    let out = '';
    socket.on('data', (d) => (out += d));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

describe('connections', () => {
  let root: string;
  let server: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    root = await tempDir();
    const env = {
      CORPUS_DIR: await writeCorpus(root, { 'notes.txt': 'The kettle is in the left cupboard.' }),
      INDEX_DIR: `${root}/index`,
      MODELS_DIR,
      METRICS: 'true',
    };
    await runBuild(env);
    server = await startServer(env);
  });
  afterAll(async () => {
    await server?.stop();
    await removeDir(root);
  });

  it('closes the connection of an early 413, so the next request on the pool is answered', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 5; i++) {
        const big = Buffer.from(JSON.stringify({ query: 'x'.repeat(2_000_000) }));
        const tooLarge = await request(agent, server.base, 'POST', '/search', big).catch((err: Error) => ({ status: 0, headers: {}, text: err.message }));
        if (tooLarge.status) {
          expect(tooLarge.status).toBe(413);
          expect((tooLarge.headers as http.IncomingHttpHeaders).connection).toBe('close');
        }
        const next = await request(agent, server.base, 'GET', '/search?q=where+is+the+kettle&k=1');
        expect(next.status).toBe(200);
      }
    } finally {
      agent.destroy();
    }
  });

  it('counts a client gone mid-body as 499, not as a server error', async () => {
    const { hostname, port } = new URL(server.base);
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(Number(port), hostname, () => {
        socket.write('POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":"ke');
        setTimeout(() => socket.destroy(), 200);
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    const count = async (status: number) => {
      const metrics = await (await fetch(`${server.base}/metrics`)).text();
      return Number(metrics.match(new RegExp(`http_requests_total\\{route="/search",method="POST",status="${status}"\\} (\\d+)`))?.[1] ?? 0);
    };
    for (let i = 0; i < 100 && (await count(499)) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await count(499)).toBe(1);
    expect(await count(500)).toBe(0);
  });

  it('answers what the HTTP parser refuses with the JSON error body', async () => {
    const huge = await raw(server.base, `GET /search?q=${'a'.repeat(20_000)} HTTP/1.1\r\nhost: x\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(huge.slice(huge.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'HEADERS_TOO_LARGE' } });
    const bad = await raw(server.base, 'GET /search HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n');
    expect(bad).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(bad.slice(bad.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'BAD_HTTP' } });
  });

  it('stops within its grace period on SIGTERM though a client trickles a body one byte at a time', async () => {
    const env = { CORPUS_DIR: `${root}/corpus`, INDEX_DIR: `${root}/index`, MODELS_DIR, SHUTDOWN_GRACE_MS: '1000' };
    const slow = await startServer(env);
    const { hostname, port } = new URL(slow.base);
    const socket = net.connect(Number(port), hostname);
    socket.on('error', () => undefined);
    await new Promise((r) => socket.once('connect', r));
    socket.write('POST /search HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{');
    const trickle = setInterval(() => socket.writable && socket.write(' '), 300);
    try {
      await new Promise((r) => setTimeout(r, 600));
      const started = Date.now();
      slow.child.kill('SIGTERM');
      expect(await exited(slow.child)).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      clearInterval(trickle);
      socket.destroy();
      await slow.stop();
    }
  });

  it('answers a stream of hostile requests on kept-alive connections with no connection lost', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    let failures = 0;
    let answered = 0;
    const bodies = [
      Buffer.from(JSON.stringify({ query: 'x'.repeat(40_000) })),
      Buffer.from('{ not json'),
      Buffer.from(JSON.stringify({ query: 'where is the kettle', k: 'many' })),
      Buffer.from(JSON.stringify({ q: 'where is the kettle', k: 2 })),
    ];
    const paths = [
      '/search?q=kettle',
      '/search?minScore=',
      '/search?q=%00%ff',
      '/view?source=../../etc/passwd&start=0&end=1',
      '/nowhere',
      '/health',
      '/search?q=a&q=b',
    ];
    try {
      await Promise.all(
        Array.from({ length: 4 }, async (_, lane) => {
          for (let i = 0; i < 60; i++) {
            const n = lane * 60 + i;
            const call =
              n % 3 === 0
                ? request(agent, server.base, 'POST', '/search', bodies[n % bodies.length])
                : request(agent, server.base, n % 5 === 0 ? 'DELETE' : 'GET', paths[n % paths.length]);
            const res = await call.catch(() => null);
            if (!res) failures++;
            else {
              answered++;
              expect(res.status).toBeLessThan(500);
              expect(() => JSON.parse(res.text)).not.toThrow();
            }
          }
        }),
      );
    } finally {
      agent.destroy();
    }
    expect(failures).toBe(0);
    expect(answered).toBe(240);
  });
});
