// The tools that change the index, through the SDK's client, on a real index with the real model: a document put as
// text and as base64 is searchable by the version the tool names, deleted it is gone, and a refusal carries its code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { mcpDepsOf } from '../../src/commands/mcp.js';
import { loadConfig } from '../../src/config.js';
import { createService, type Service } from '../../src/live/service.js';
import { createLiveWriter, type LiveWriter } from '../../src/live/writer.js';
import { createMcpServer } from '../../src/mcp/server.js';
import { pdfBytes } from '../helpers/documents.js';
import { realEmbedder, removeDir, tempDir } from '../helpers/real.js';
import { buildSeed, connectInProcess, errorOf } from './seed.js';

describe('put_document and delete_document', () => {
  let root: string;
  let service: Service;
  let writer: LiveWriter;
  let client: Client;

  beforeAll(async () => {
    root = await tempDir();
    const config = loadConfig(await buildSeed(root), {});
    service = await createService(config, await realEmbedder());
    writer = createLiveWriter({ config, store: service.store, embedder: realEmbedder, reload: () => service.reload(), rebuild: () => undefined });
    client = await connectInProcess(createMcpServer({ ...mcpDepsOf(config, service), admin: { documents: writer } }));
  });
  afterAll(async () => {
    await client?.close();
    await writer?.close();
    await service?.close();
    await removeDir(root);
  });

  const search = async (query: string) =>
    (await client.callTool({ name: 'search', arguments: { query, k: 3 } })).structuredContent as { index: string; hits: { source: string }[] };

  it('lists them only to an admin client', async () => {
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['search', 'get_document', 'put_document', 'delete_document']);
  });

  it('puts a document given as text, then one as base64 bytes, each searchable by the version named', async () => {
    const put = await client.callTool({
      name: 'put_document',
      arguments: { path: 'notes/ferry.md', text: '# Ferries\n\nThe ferry to the island leaves at seven every morning.' },
    });
    const body = put.structuredContent as { index: string; changed: boolean; document: { source: string; origin: string; format: string } };
    expect(body).toMatchObject({ changed: true, document: { source: 'notes/ferry.md', origin: 'api', format: 'markdown' } });
    const found = await search('when does the ferry to the island leave');
    expect(found.index).toBe(body.index);
    expect(found.hits[0].source).toBe('notes/ferry.md');
    const pdf = await pdfBytes([['The lighthouse keeper retired in 1987.']]);
    const bytes = await client.callTool({ name: 'put_document', arguments: { path: 'keeper.pdf', base64: pdf.toString('base64') } });
    expect((bytes.structuredContent as { document: { format: string } }).document.format).toBe('pdf');
    expect((await search('when did the lighthouse keeper retire')).hits[0].source).toBe('keeper.pdf');
  });

  it("refuses with the catalogue's codes", async () => {
    expect(errorOf(await client.callTool({ name: 'put_document', arguments: { path: 'us-pakistan-afghanistan.txt', text: 'Replaced.' } })).code).toBe(
      'DOCUMENT_FROM_FOLDER',
    );
    expect(errorOf(await client.callTool({ name: 'put_document', arguments: { path: '../up.md', text: 'Text.' } })).code).toBe('DOCUMENT_PATH_INVALID');
    expect(errorOf(await client.callTool({ name: 'delete_document', arguments: { path: 'never-put.md' } })).code).toBe('DOCUMENT_NOT_FOUND');
    expect((await client.callTool({ name: 'put_document', arguments: { path: 'both.md', text: 'a', base64: 'YQ==' } })).isError).toBe(true);
  });

  it('deletes a document: its passages are gone from the version named', async () => {
    const deleted = await client.callTool({ name: 'delete_document', arguments: { path: 'notes/ferry.md' } });
    const body = deleted.structuredContent as { index: string; deleted: string };
    expect(body.deleted).toBe('notes/ferry.md');
    const found = await search('when does the ferry to the island leave');
    expect(found.index).toBe(body.index);
    expect(found.hits.map((h) => h.source)).not.toContain('notes/ferry.md');
  });
});
