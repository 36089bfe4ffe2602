// The document API on a real index with the real model, in process: documents put, replaced and deleted over HTTP
// are searchable by the version the answer names, kept by the index through folder syncs, a forced rebuild and a
// restart, and every bad input is refused with its code and nothing changed.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { syncFolder } from '../../src/index/build.js';
import { createFilesStore } from '../../src/index/files/files-store.js';
import { readCorpus } from '../../src/ingest/corpus.js';
import { createService, type Service } from '../../src/live/service.js';
import { createLiveWriter, type LiveWriter } from '../../src/live/writer.js';
import { buildSettings } from '../../src/config.js';
import { pdfBytes, pdfPageTreeBomb } from '../helpers/documents.js';
import { ADMIN_TOKEN, SEED, realEmbedder, removeDir, tempDir, writeCorpus } from '../helpers/real.js';

const limits = { maxQueryChars: 500, defaultK: 5, maxK: 50, maxBodyBytes: 4096, maxScore: 2.5 };
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const json = async (res: Response): Promise<any> => res.json();
const HARBOUR = '# Harbour notes\n\nThe ferry to the island leaves at seven every morning. Fishermen mend their nets on the quay.';

describe('the document API', () => {
  let root: string;
  let corpus: string;
  let service: Service;
  let writer: LiveWriter;
  let app: ReturnType<typeof createApp>;
  const config = () =>
    loadConfig({ INDEX_DIR: path.join(root, 'index'), CORPUS_DIR: corpus, ADMIN_TOKEN, MAX_DOCUMENT_BYTES: 4096, CHUNK_WORDS: 12, CHUNK_OVERLAP: 4 }, {});

  const start = async () => {
    service = await createService(config(), await realEmbedder());
    writer = createLiveWriter({ config: config(), store: service.store, embedder: realEmbedder, reload: () => service.reload(), rebuild: () => undefined });
    app = createApp({
      engine: () => service.engine(),
      health: () => service.health(),
      limits,
      admin: { token: ADMIN_TOKEN, reindex: () => ({}) },
      documents: {
        current: () => ({ index: service.engine().reader.name, documents: service.engine().reader.manifest.documents }),
        writer: { put: (s, b, t) => writer.put(s, b, t), remove: (s) => writer.remove(s) },
        maxBytes: 4096,
      },
    });
  };
  const put = (p: string, body: string | Buffer, type?: string, headers: Record<string, string> = auth) =>
    app.request(`/documents/${p}`, { method: 'PUT', body, headers: { ...headers, ...(type ? { 'content-type': type } : {}) } });
  const ask = async (q: string) => json(await app.request(`/search?q=${encodeURIComponent(q)}&k=3`));

  beforeAll(async () => {
    root = await tempDir();
    corpus = await writeCorpus(root, { 'garden.txt': 'Tomatoes need full sun. Water them deeply twice a week.' });
    // Built under the server's own settings, so that a folder sync adds to it rather than making it anew.
    await syncFolder(await readCorpus(corpus), realEmbedder, { store: createFilesStore(path.join(root, 'index')), ...buildSettings(config()) });
    await start();
  });
  afterAll(async () => {
    await writer.close();
    await service.close();
    await removeDir(root);
  });

  it('puts a document: the answer names the version that holds it, and that version answers with it', async () => {
    const res = await put('notes/harbour.md', HARBOUR, 'text/markdown');
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body).toMatchObject({
      changed: true,
      document: { source: 'notes/harbour.md', origin: 'api', format: 'markdown', title: 'Harbour notes', passages: expect.any(Number) },
    });
    const found = await ask('when does the ferry leave');
    expect(found.index).toBe(body.index);
    expect(found.hits[0]).toMatchObject({ source: 'notes/harbour.md', section: 'Harbour notes' });
    const listed = await json(await app.request('/documents?origin=api'));
    expect(listed).toMatchObject({ index: body.index, total: 1, documents: [{ source: 'notes/harbour.md' }] });
    expect(await json(await app.request('/documents/notes/harbour.md'))).toMatchObject({
      index: body.index,
      document: { source: 'notes/harbour.md', bytes: Buffer.byteLength(HARBOUR) },
    });
    // The same bytes again: nothing changes.
    const again = await put('notes/harbour.md', HARBOUR, 'text/markdown');
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ index: body.index, changed: false });
  });

  it('reads a PDF by its media type, whatever its name says', async () => {
    const pdf = await pdfBytes([['The lighthouse keeper retired in 1987.']], { title: 'Keeper' });
    const res = await put('scans/keeper', pdf, 'application/pdf');
    expect(res.status).toBe(201);
    expect((await json(res)).document).toMatchObject({ format: 'pdf', title: 'Keeper' });
    expect((await ask('when did the lighthouse keeper retire')).hits[0].source).toBe('scans/keeper');
  });

  it('refuses bad input with its code, and changes nothing', async () => {
    const before = (await json(await app.request('/health'))).index.build;
    const cases: [() => Promise<Response> | Response, number, string][] = [
      [() => put('a.txt', 'Text.', 'text/plain', {}), 401, 'UNAUTHORIZED'],
      [() => put('..%2Fescape.txt', 'Text.'), 400, 'DOCUMENT_PATH_INVALID'],
      [() => put('notes%2F..%2Fx.txt', 'Text.'), 400, 'DOCUMENT_PATH_INVALID'],
      [() => put('.hidden.txt', 'Text.'), 400, 'DOCUMENT_PATH_INVALID'],
      [() => put('table.csv', 'a,b\n1,2', 'text/csv'), 415, 'DOCUMENT_UNSUPPORTED'],
      [() => put('photo', Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'image/png'), 415, 'DOCUMENT_UNSUPPORTED'],
      [() => put('blank.md', '---\ntitle: Only a title\n---\n', 'text/markdown'), 422, 'DOCUMENT_EMPTY'],
      [() => put('broken.pdf', 'not a pdf at all', 'application/pdf'), 422, 'DOCUMENT_UNREADABLE'],
      // 1.4 KB whose page tree lists a million pages: past the reading limits, as in a build.
      [() => put('pages.pdf', pdfPageTreeBomb(6, 10), 'application/pdf'), 422, 'DOCUMENT_UNREADABLE'],
      [() => put('big.txt', 'x '.repeat(3000)), 413, 'DOCUMENT_TOO_LARGE'],
      [() => put('garden.txt', 'Replaced from outside.'), 409, 'DOCUMENT_FROM_FOLDER'],
      [() => app.request('/documents/nothing-here.txt', { method: 'DELETE', headers: auth }), 404, 'DOCUMENT_NOT_FOUND'],
      [() => app.request('/documents/garden.txt', { method: 'DELETE', headers: auth }), 409, 'DOCUMENT_FROM_FOLDER'],
      [() => app.request('/documents/nothing-here.txt'), 404, 'DOCUMENT_NOT_FOUND'],
      [() => app.request('/documents?limit=0'), 400, 'INVALID_REQUEST'],
    ];
    for (const [request, status, code] of cases) {
      const r = await request();
      expect([r.status, (await json(r)).error?.code]).toEqual([status, code]);
    }
    expect((await json(await app.request('/health'))).index.build).toBe(before);
  });

  it('keeps documents put over the API through folder syncs, a forced rebuild and a restart; the folder cannot take their path', async () => {
    await writeFile(path.join(corpus, 'garden.txt'), 'Tomatoes need full sun. Roses are pruned in late winter.');
    const store = createFilesStore(path.join(root, 'index'));
    const options = { store, ...buildSettings(config()) };
    const synced = await syncFolder(await readCorpus(corpus), realEmbedder, options);
    expect(synced).toMatchObject({ rebuilt: false, changed: 1 });
    expect(synced.manifest.documents.map((d) => [d.source, d.origin])).toEqual([
      ['garden.txt', 'folder'],
      ['notes/harbour.md', 'api'],
      ['scans/keeper', 'api'],
    ]);
    // A file of the folder at an API document's path is skipped, named, and the API's stays.
    await writeFile(path.join(corpus, 'scans-keeper.txt'), 'unrelated');
    await writeCorpus(root, { 'notes/harbour.md': 'A folder file where the API put one.' });
    const conflict = await syncFolder(await readCorpus(corpus), realEmbedder, options);
    expect(conflict.skipped).toContainEqual({ source: 'notes/harbour.md', code: 'conflict', reason: expect.stringContaining('document API') });
    expect(conflict.manifest.documents.find((d) => d.source === 'notes/harbour.md')).toMatchObject({ origin: 'api', sha256: expect.any(String) });
    const forced = await syncFolder(await readCorpus(corpus), realEmbedder, { ...options, force: true });
    expect(forced.rebuilt).toBe(true);
    expect(forced.manifest.documents.filter((d) => d.origin === 'api').map((d) => d.source)).toEqual(['notes/harbour.md', 'scans/keeper']);
    await writer.close();
    await service.close();
    await start();
    expect((await ask('when does the ferry leave')).hits[0].source).toBe('notes/harbour.md');
  });

  it('deletes a document put over the API: every passage of it goes', async () => {
    const res = await app.request('/documents/notes/harbour.md', { method: 'DELETE', headers: auth });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.deleted).toBe('notes/harbour.md');
    const found = await ask('ferry to the island leaves at seven, fishermen mend nets on the quay');
    expect(found.index).toBe(body.index);
    expect(found.hits.map((h: { source: string }) => h.source)).not.toContain('notes/harbour.md');
    expect((await app.request('/documents/notes/harbour.md')).status).toBe(404);
    // Its bytes are no longer kept once no version the store keeps needs them.
    const kept = JSON.parse(await readFile(path.join(root, 'index', 'commits', `${body.index}.json`), 'utf8'));
    expect(kept.manifest.documents.map((d: { source: string }) => d.source)).not.toContain('notes/harbour.md');
  });
});

describe("the API document's examples", () => {
  let root: string;
  let service: Service;
  let writer: LiveWriter;

  beforeAll(async () => {
    root = await tempDir();
    const corpus = path.join(root, 'corpus');
    await writeCorpus(root, { 'us-pakistan-afghanistan.txt': await readFile(SEED, 'utf8') });
    const config = loadConfig({ INDEX_DIR: path.join(root, 'index'), CORPUS_DIR: corpus, ADMIN_TOKEN }, {});
    await syncFolder(await readCorpus(corpus), realEmbedder, { store: createFilesStore(path.join(root, 'index')), ...buildSettings(config) });
    service = await createService(config, await realEmbedder());
    writer = createLiveWriter({ config, store: service.store, embedder: realEmbedder, reload: () => service.reload(), rebuild: () => undefined });
  });
  afterAll(async () => {
    await writer.close();
    await service.close();
    await removeDir(root);
  });

  it('answers every operation 2xx when called with its documented examples, in the order a reader tries them', async () => {
    const app = createApp({
      engine: () => service.engine(),
      health: () => service.health(),
      readDocument: (s) => service.readDocument(s),
      limits,
      admin: { token: ADMIN_TOKEN, reindex: () => ({}) },
      documents: {
        current: () => ({ index: service.engine().reader.name, documents: service.engine().reader.manifest.documents }),
        writer: { put: (s, b, t) => writer.put(s, b, t), remove: (s) => writer.remove(s) },
        maxBytes: 1 << 20,
      },
    });
    const doc = await json(await app.request('/openapi.json'));
    // A document is put before it is deleted, as in Swagger UI's order of the operations under one path.
    const order = ['get', 'post', 'put', 'delete'];
    const calls: string[] = [];
    for (const [template, operations] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const method of order.filter((m) => m in operations)) {
        const op = operations[method];
        let url = template;
        const query = new URLSearchParams();
        for (const p of op.parameters ?? []) {
          const example = p.example ?? p.schema?.example;
          if (example === undefined) continue;
          if (p.in === 'path') url = url.replace(`{${p.name}}`, String(example));
          else query.set(p.name, String(example));
        }
        const content = op.requestBody?.content ?? {};
        const [type, body] =
          Object.entries<any>(content).find(([, c]) => c.example !== undefined || c.schema?.example !== undefined) ??
          (content['application/json'] ? ['application/json', content['application/json']] : []);
        const payload = body ? (body.example ?? body.schema?.example ?? exampleOf(doc, body.schema)) : undefined;
        const res = await app.request(`${url}${query.size ? `?${query}` : ''}`, {
          method: method.toUpperCase(),
          headers: { ...(op.security ? auth : {}), ...(type ? { 'content-type': type } : {}) },
          ...(payload !== undefined ? { body: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
        });
        calls.push(`${method} ${template}`);
        expect(res.status, `${method.toUpperCase()} ${url}?${query}: ${await res.clone().text()}`).toBeLessThan(300);
      }
    }
    expect(calls).toEqual(
      expect.arrayContaining(['get /search', 'post /search', 'get /view', 'put /documents/{path}', 'delete /documents/{path}', 'get /documents/{path}']),
    );
  });
});

/** A JSON body made of the examples of an object schema's properties (following a $ref into components). */
function exampleOf(doc: any, schema: any): Record<string, unknown> {
  const resolved = schema?.$ref ? doc.components.schemas[schema.$ref.split('/').pop()] : schema;
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries<any>(resolved?.properties ?? {})) if (prop.example !== undefined) out[name] = prop.example;
  return out;
}
