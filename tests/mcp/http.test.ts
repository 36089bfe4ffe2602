// The /mcp endpoint through the SDK's own Streamable HTTP client: in process (the client's fetch is the app's
// `request`, no socket) for the token and the Host/Origin checks, and over a real socket on the real server of the seed
// index for the Kabul answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { Hono } from 'hono';
import { z } from 'zod';
import { AppError } from '../../src/errors.js';
import { createApp } from '../../src/http/app.js';
import { allowedHostsFor, mcpRoutes } from '../../src/mcp/http.js';
import type { McpAdminDeps, Tool } from '../../src/mcp/server.js';
import { ADMIN_TOKEN, KABUL_ANSWER, KABUL_QUESTION, removeDir, tempDir } from '../helpers/real.js';
import { startServer } from '../helpers/server.js';
import { buildSeed, textOf } from './seed.js';

/** Admin deps whose document writer is never called here: the tool under test stands for the admin tools. */
const NO_WRITER = { documents: { put: async () => Promise.reject(new Error('not called')), remove: async () => Promise.reject(new Error('not called')) } };

const limits = { maxQueryChars: 200, defaultK: 5, maxK: 50, maxBodyBytes: 16_384 };
const HOST = '127.0.0.1:3000';
const ORIGIN = `http://${HOST}`;
const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'passage-search-tests', version: '1.0.0' } },
});

/** A tool that stands for the ones that will change the index: it records what it was called with. */
function touchTool(touched: string[]): Tool<McpAdminDeps> {
  return (server) =>
    server.registerTool('touch', { inputSchema: { path: z.string() } }, async ({ path }) => (touched.push(path), { content: [{ type: 'text', text: 'ok' }] }));
}

/** The app with /mcp over an engine that has no index, and the admin token when `admin`. */
function appWith(admin: boolean, touched: string[] = []): Hono {
  const deps = {
    engine: () => {
      throw new AppError('INDEX_NOT_READY', 'index');
    },
    readDocument: async () => null,
    limits,
  };
  const mcp = mcpRoutes({
    deps,
    allowedHosts: () => allowedHostsFor('127.0.0.1', 3000),
    admin: admin ? { token: ADMIN_TOKEN, deps: NO_WRITER } : undefined,
    adminTools: [touchTool(touched)],
  });
  return createApp({ engine: deps.engine, health: () => ({}), limits, mcp });
}

/** An SDK client whose requests go to `app.request`, with the Host header a socket would have given them. */
async function connectTo(app: Hono, headers: Record<string, string> = {}): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${ORIGIN}/mcp`), {
    requestInit: { headers },
    fetch: async (url, init) => {
      const sent = new Headers(init?.headers);
      sent.set('host', new URL(url).host);
      return app.request(String(url), { ...init, headers: sent });
    },
  });
  const client = new Client({ name: 'passage-search-tests', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

const names = async (client: Client) => (await client.listTools()).tools.map((t) => t.name);

describe('/mcp in process', () => {
  const post = (app: Hono, headers: Record<string, string>) =>
    app.request('/mcp', {
      method: 'POST',
      body: INITIALIZE,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', host: HOST, ...headers },
    });

  it('lists the tools that change the index only to a request with the admin token, and runs them for it', async () => {
    const touched: string[] = [];
    const app = appWith(true, touched);
    const anyone = await connectTo(app);
    expect(await names(anyone)).toEqual(['search', 'get_document']);
    const refused = await anyone.callTool({ name: 'touch', arguments: { path: 'a.txt' } });
    expect(refused.isError).toBe(true);
    const admin = await connectTo(app, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(await names(admin)).toEqual(['search', 'get_document', 'touch']);
    await admin.callTool({ name: 'touch', arguments: { path: 'b.txt' } });
    expect(touched).toEqual(['b.txt']);
    await Promise.all([anyone.close(), admin.close()]);
  });

  it('refuses a wrong token with UNAUTHORIZED; with no admin token set, a token grants nothing', async () => {
    const res = await post(appWith(true), { authorization: 'Bearer not-the-token-at-all' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    const client = await connectTo(appWith(false), { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(await names(client)).toEqual(['search', 'get_document']);
    await client.close();
  });

  it('answers a tool with the catalogue code of its failure', async () => {
    const client = await connectTo(appWith(false));
    const result = await client.callTool({ name: 'search', arguments: { query: 'anything' } });
    expect(result.isError).toBe(true);
    expect(JSON.parse(textOf(result)).error.code).toBe('INDEX_NOT_READY');
    await client.close();
  });

  it('refuses a foreign Origin or Host (DNS rebinding) with 403, and takes its own', async () => {
    const app = appWith(false);
    for (const headers of [
      { origin: 'http://evil.example' },
      { origin: 'http://127.0.0.1:3001' },
      { host: 'evil.example:3000' },
      { host: 'evil.example' },
    ] as Record<string, string>[]) {
      const res = await post(app, headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^Invalid (Origin|Host) header/);
    }
    expect((await post(app, { origin: ORIGIN })).status).toBe(200);
    expect((await post(app, { host: 'localhost:3000', origin: 'http://localhost:3000' })).status).toBe(200);
  });

  it('is stateless: no session id, and GET (a stream for a session) is 405 with Allow: POST', async () => {
    const app = appWith(false);
    const res = await post(app, {});
    expect(res.status).toBe(200);
    expect(res.headers.get('mcp-session-id')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const get = await app.request('/mcp', { headers: { accept: 'text/event-stream', host: HOST } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });
});

describe('the hosts /mcp answers to', () => {
  const interfaces = { lo: [{ address: '127.0.0.1' }, { address: '::1' }], eth0: [{ address: '10.0.0.7' }, { address: 'fe80::1' }] } as unknown as ReturnType<
    typeof import('node:os').networkInterfaces
  >;

  it("are the loopback names on a loopback address, the machine's names and addresses on every address, else the one", () => {
    expect(allowedHostsFor('127.0.0.1', 3000)).toEqual(['127.0.0.1:3000', 'localhost:3000', '[::1]:3000']);
    expect(allowedHostsFor('::1', 8080)).toEqual(['127.0.0.1:8080', 'localhost:8080', '[::1]:8080']);
    expect(allowedHostsFor('0.0.0.0', 3000, interfaces, 'Box')).toEqual([
      '127.0.0.1:3000',
      'localhost:3000',
      '[::1]:3000',
      'box:3000',
      '10.0.0.7:3000',
      '[fe80::1]:3000',
    ]);
    expect(allowedHostsFor('search.internal', 80)).toEqual(['search.internal:80', 'search.internal']);
  });
});

describe('/mcp over a socket, on the seed index', () => {
  let root: string;
  let server: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    root = await tempDir();
    server = await startServer({ ...(await buildSeed(root)), ADMIN_TOKEN });
  });
  afterAll(async () => {
    await server?.stop();
    await removeDir(root);
  });

  it("answers the Kabul question first through the SDK's Streamable HTTP client, with or without the admin token", async () => {
    for (const headers of [{}, { authorization: `Bearer ${ADMIN_TOKEN}` }] as Record<string, string>[]) {
      const client = new Client({ name: 'passage-search-tests', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${server.base}/mcp`), { requestInit: { headers } }));
      const admin = headers.authorization !== undefined;
      expect(await names(client)).toEqual(admin ? ['search', 'get_document', 'put_document', 'delete_document'] : ['search', 'get_document']);
      const result = await client.callTool({ name: 'search', arguments: { query: KABUL_QUESTION, k: 2 } });
      const body = result.structuredContent as { hits: Array<{ highlight: { text: string }; confident: boolean }>; index: string };
      expect(body.hits[0].highlight.text).toContain(KABUL_ANSWER);
      expect(body.hits[0].confident).toBe(true);
      expect(textOf(result)).toContain(`${KABUL_ANSWER}.]`);
      await client.close();
    }
  });

  it('refuses a foreign Origin and a wrong token', async () => {
    const send = (headers: Record<string, string>) =>
      fetch(`${server.base}/mcp`, {
        method: 'POST',
        body: INITIALIZE,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      });
    expect((await send({ origin: 'http://evil.example' })).status).toBe(403);
    expect((await send({ origin: server.base })).status).toBe(200);
    expect((await send({ authorization: 'Bearer not-the-token-at-all' })).status).toBe(401);
  });
});
