// The MCP server in process, through the SDK's own client and linked in-memory transports: the tools it lists, the
// Kabul answer on the real seed index, the API's validation, the document view, and errors carrying their code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { z } from 'zod';
import { mcpDepsOf } from '../../src/commands/mcp.js';
import { loadConfig } from '../../src/config.js';
import { AppError } from '../../src/errors.js';
import { createService, type Service } from '../../src/live/service.js';
import { createMcpServer, type McpAdminDeps, type McpDeps, type Tool } from '../../src/mcp/server.js';
import type { documentSchema } from '../../src/mcp/tools/get-document.js';
import { KABUL_ANSWER, KABUL_QUESTION, realEmbedder, removeDir, tempDir } from '../helpers/real.js';
import { buildSeed, connectInProcess, errorOf, textOf } from './seed.js';

/** Admin deps whose document writer is never called here: the tool under test stands for the admin tools. */
const NO_WRITER = { documents: { put: async () => Promise.reject(new Error('not called')), remove: async () => Promise.reject(new Error('not called')) } };

const SEED = 'us-pakistan-afghanistan.txt';

describe('the MCP server in process, on the seed index', () => {
  let root: string;
  let service: Service;
  let deps: McpDeps;
  let client: Client;

  beforeAll(async () => {
    root = await tempDir();
    const env = await buildSeed(root);
    service = await createService(loadConfig(env, {}), await realEmbedder());
    deps = mcpDepsOf(loadConfig(env, {}), service);
    client = await connectInProcess(createMcpServer(deps));
  });
  afterAll(async () => {
    await client?.close();
    await removeDir(root);
  });

  const search = (args: Record<string, unknown>) => client.callTool({ name: 'search', arguments: args });

  it("lists the two reading tools, with the question required and the API's limits in their schemas", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['search', 'get_document']);
    const [searchTool, documentTool] = tools;
    expect(searchTool.inputSchema.required).toEqual(['query']);
    expect(Object.keys(searchTool.inputSchema.properties ?? {})).toEqual(['query', 'k', 'offset', 'minScore', 'source', 'groupBy', 'groupSize']);
    expect(searchTool.inputSchema.properties?.k).toMatchObject({ minimum: 1, maximum: 50, default: 5 });
    expect(searchTool.outputSchema?.required).toEqual(expect.arrayContaining(['hits', 'threshold', 'index']));
    expect(searchTool.annotations?.readOnlyHint).toBe(true);
    expect(documentTool.inputSchema.required).toEqual(['source', 'start', 'end']);
  });

  it('answers the Kabul question first, as structured content and as text with the place and confidence', async () => {
    const result = await search({ query: KABUL_QUESTION, k: 3 });
    expect(result.isError).toBeFalsy();
    const body = result.structuredContent as {
      hits: Array<{ source: string; highlight: { text: string }; confident: boolean; section?: string }>;
      threshold: number;
      index: string;
    };
    expect(body.hits).toHaveLength(3);
    expect(body.hits[0].highlight.text).toContain(KABUL_ANSWER);
    expect(body.hits[0].source).toBe(SEED);
    expect(body.hits[0].confident).toBe(true);
    expect(body.index).toBe(service.engine().reader.name);
    const text = textOf(result);
    // The first hit: its place (the section heading above it), its characters, its score, the answer in brackets.
    expect(text).toMatch(
      new RegExp(`^1\\. › ${body.hits[0].section!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(${SEED}\\), characters \\d+-\\d+, score \\d\\.\\d{3}\\n`, 'm'),
    );
    expect(text).toContain(`[Next, the averseness to the Afghanistan of the s means that Pakistan is ${KABUL_ANSWER}.]`);
    const weak = body.hits.filter((h) => !h.confident).length;
    expect(text.match(/, weak match\n/g)?.length ?? 0).toBe(weak);
    expect(text).toMatch(new RegExp(`^${3 - weak} of 3 passages likely answers? \\(score above ${body.threshold.toFixed(3)}\\), best first:\n`));
  });

  it('pages and filters as /search does', async () => {
    const three = ((await search({ query: KABUL_QUESTION, k: 3 })).structuredContent as { hits: { id: string }[] }).hits.map((h) => h.id);
    const paged = (await search({ query: KABUL_QUESTION, k: 2, offset: 1 })).structuredContent as { hits: { id: string }[] };
    expect(paged.hits.map((h) => h.id)).toEqual(three.slice(1));
    const none = await search({ query: KABUL_QUESTION, source: '*.pdf' });
    expect((none.structuredContent as { hits: unknown[] }).hits).toEqual([]);
    expect(textOf(none)).toBe('No passage matches.');
  });

  it("refuses bad arguments with the API's own messages, naming each field", async () => {
    for (const [args, message] of [
      [{ query: KABUL_QUESTION, k: 51 }, 'must be at most 50 at k'],
      [{ query: KABUL_QUESTION, k: 1.5 }, 'must be a whole number at k'],
      [{ query: '   ' }, 'must not be empty at query'],
      [{ query: KABUL_QUESTION, offset: 1001 }, 'must be at most 1000 at offset'],
      [{ query: KABUL_QUESTION, groupSize: 2 }, 'needs groupBy=source at groupSize'],
      [{ query: KABUL_QUESTION, groupBy: 'title' }, 'must be "source" at groupBy'],
      [{ query: KABUL_QUESTION, source: 'x'.repeat(501) }, 'must be at most 500 characters at source'],
      [{ q: KABUL_QUESTION }, 'Unrecognized key: "q"'],
      [{}, 'is required at query'],
    ] as const) {
      const result = await search(args);
      expect(result.isError, JSON.stringify(args)).toBe(true);
      expect(textOf(result)).toContain(message);
    }
  });

  it('reads the document around a hit as /view shows it: the same window, the passage within it', async () => {
    const hit = (
      (await search({ query: KABUL_QUESTION, k: 1 })).structuredContent as { hits: Array<{ source: string; start: number; end: number; text: string }> }
    ).hits[0];
    const result = await client.callTool({ name: 'get_document', arguments: { source: hit.source, start: hit.start, end: hit.end } });
    const doc = result.structuredContent as z.infer<typeof documentSchema>;
    const full = (await service.readDocument(SEED))!.text;
    expect(doc).toMatchObject({ source: SEED, start: hit.start, end: hit.end, length: full.length });
    expect(doc.text).toBe(full.slice(doc.from, doc.to));
    expect(doc.text.slice(hit.start - doc.from, hit.end - doc.from)).toBe(full.slice(hit.start, hit.end));
    // The article is shorter than the view's context on each side: all of it is shown.
    expect([doc.from, doc.to]).toEqual([0, full.length]);
    expect(textOf(result)).toContain(`<mark>${full.slice(hit.start, hit.end)}</mark>`);
    expect(textOf(result).startsWith(`# ${SEED}\n\n`)).toBe(true);
  });

  it('carries the catalogue code of a failure: an unknown document, bad offsets', async () => {
    const missing = await client.callTool({ name: 'get_document', arguments: { source: 'nowhere.txt', start: 0, end: 5 } });
    expect(errorOf(missing).code).toBe('DOCUMENT_NOT_FOUND');
    const backwards = await client.callTool({ name: 'get_document', arguments: { source: SEED, start: 9, end: 2 } });
    expect(textOf(backwards)).toContain('must not be before start at end');
  });
});

describe('the MCP server without an index', () => {
  const limits = { maxQueryChars: 200, defaultK: 5, maxK: 50, maxBodyBytes: 16_384 };
  const failing = (err: unknown): McpDeps => ({
    engine: () => {
      throw err;
    },
    readDocument: async () => null,
    limits,
  });

  it("answers each tool with a tool error carrying the code, in the API's error body", async () => {
    const client = await connectInProcess(createMcpServer(failing(new AppError('INDEX_NOT_READY', '/secret/index'))));
    for (const [name, args] of [
      ['search', { query: 'anything' }],
      ['get_document', { source: 'a.txt', start: 0, end: 1 }],
    ] as const) {
      const error = errorOf(await client.callTool({ name, arguments: args }));
      expect(error.code).toBe('INDEX_NOT_READY');
      // The public wording: no folder reaches the client.
      expect(error.message).not.toContain('/secret/index');
    }
    await client.close();
  });

  it('answers an unexpected failure as INTERNAL, logging it and telling the client nothing of it', async () => {
    const logged: unknown[] = [];
    const client = await connectInProcess(
      createMcpServer({ ...failing(new Error('EACCES /secret/index/manifest.json')), onInternalError: (err) => logged.push(err) }),
    );
    const result = await client.callTool({ name: 'search', arguments: { query: 'anything' } });
    expect(errorOf(result).code).toBe('INTERNAL');
    expect(textOf(result)).not.toContain('secret');
    expect(logged).toHaveLength(1);
    await client.close();
  });

  it('registers the tools that change the index only when given their dependencies', async () => {
    const touched: string[] = [];
    const touch: Tool<McpAdminDeps> = (server) =>
      server.registerTool(
        'touch',
        { inputSchema: { path: z.string() } },
        async ({ path }) => (touched.push(path), { content: [{ type: 'text', text: 'ok' }] }),
      );
    const reader = await connectInProcess(createMcpServer(failing(new AppError('INDEX_NOT_READY', 'x')), [touch]));
    expect((await reader.listTools()).tools.map((t) => t.name)).toEqual(['search', 'get_document']);
    const admin = await connectInProcess(createMcpServer({ ...failing(new AppError('INDEX_NOT_READY', 'x')), admin: NO_WRITER }, [touch]));
    expect((await admin.listTools()).tools.map((t) => t.name)).toEqual(['search', 'get_document', 'touch']);
    await admin.callTool({ name: 'touch', arguments: { path: 'a.txt' } });
    expect(touched).toEqual(['a.txt']);
    await Promise.all([reader.close(), admin.close()]);
  });
});
