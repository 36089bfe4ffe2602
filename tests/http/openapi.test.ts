import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createApp } from '../../src/http/app.js';
import { errorBodySchema, healthSchema, searchResponseSchema } from '../../src/http/schemas.js';
import { realApp, removeDir, tempDir } from '../helpers/real.js';

const limits = { maxQueryChars: 200, defaultK: 5, maxK: 50, maxBodyBytes: 1024 };

describe('the OpenAPI document', () => {
  let root: string;
  let app: ReturnType<typeof createApp>;
  let doc: any;

  beforeAll(async () => {
    root = await tempDir();
    ({ app } = await realApp(root, { 'a.txt': 'Bees make honey from nectar. Wasps do not make honey.' }, { limits }));
    doc = await (await app.request('/openapi.json')).json();
  });
  afterAll(() => removeDir(root));

  it('is OpenAPI 3 and lists every route the app serves', () => {
    expect(doc.openapi).toMatch(/^3\./);
    const served = new Set(
      app.routes
        .filter((r) => r.method !== 'ALL' && !r.path.includes('*') && !r.path.startsWith('/docs/') && !r.path.startsWith('/assets/'))
        .map((r) => `${r.method.toLowerCase()} ${r.path}`),
    );
    const documented = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops as object).map((m) => `${m} ${p}`)));
    expect([...served].sort()).toEqual([...documented].sort());
  });

  it('documents the request limits the server enforces', () => {
    const k = doc.paths['/search'].get.parameters.find((p: any) => p.name === 'k');
    expect(k.schema).toMatchObject({ minimum: 1, maximum: 50, default: 5 });
    // The question is q or query: each optional alone, one of them required (said in its description and checked).
    for (const name of ['q', 'query']) {
      const param = doc.paths['/search'].get.parameters.find((p: any) => p.name === name);
      expect(param.schema.maxLength).toBe(200);
    }
    const minScore = doc.paths['/search'].get.parameters.find((p: any) => p.name === 'minScore');
    expect(minScore.schema).toMatchObject({ minimum: -1, maximum: 2.5 });
  });

  it('documents searching within a corpus, and where a hit is', () => {
    const param = (name: string) => doc.paths['/search'].get.parameters.find((p: any) => p.name === name);
    expect(param('offset').schema).toMatchObject({ minimum: 0, maximum: 1000, default: 0 });
    expect(param('source').schema).toMatchObject({ type: 'string', maxLength: 500 });
    expect(param('groupBy').schema).toMatchObject({ enum: ['source'] });
    expect(param('groupSize').schema).toMatchObject({ minimum: 1, maximum: 50 });
    const post = doc.components.schemas.SearchRequest.properties;
    expect(Object.keys(post)).toEqual(expect.arrayContaining(['offset', 'source', 'groupBy', 'groupSize']));
    const hit = doc.components.schemas.SearchHit.properties;
    expect(hit.page).toMatchObject({ type: 'integer', minimum: 1 });
    expect(hit.title.type).toBe('string');
    expect(hit.section.type).toBe('string');
    expect(doc.components.schemas.Health.properties.index.properties.skipped).toMatchObject({ type: 'integer' });
  });

  it('describes the error body the server really sends', async () => {
    const ref = doc.paths['/search'].get.responses['400'].content['application/json'].schema.$ref;
    expect(ref).toBe('#/components/schemas/ErrorBody');
    expect(doc.components.schemas.ErrorBody.properties.error.properties.code.enum).toContain('INVALID_REQUEST');
    const responses = await Promise.all([
      app.request('/search?q='),
      app.request('/search', { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } }),
      app.request('/nowhere'),
      app.request('/admin/reindex', { method: 'POST' }),
      app.request('/view?source=missing.txt&start=0&end=1'),
    ]);
    expect(responses.map((r) => r.status)).toEqual([400, 400, 404, 401, 404]);
    for (const res of responses) expect(errorBodySchema.safeParse(await res.json()).success).toBe(true);
  });

  it('describes the success bodies the server really sends', async () => {
    const search = await (await app.request('/search?q=who+makes+honey')).json();
    expect(searchResponseSchema.safeParse(search).success).toBe(true);
    const health = await (await app.request('/health')).json();
    expect(healthSchema.safeParse(health).success).toBe(true);
  });

  it('serves a docs page whose assets come from this server', async () => {
    const page = await (await app.request('/docs')).text();
    expect(page).toContain('<script src="/assets/docs.js"></script>');
    expect(page).not.toMatch(/https?:\/\//);
    expect(await (await app.request('/assets/docs.js')).text()).toContain("url: '/openapi.json'");
    const bundle = await app.request('/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('javascript');
  });

  it('shows a document with the passage marked, and only indexed documents', async () => {
    const page = await (await app.request('/view?source=a.txt&start=0&end=28')).text();
    expect(page).toContain('<mark id="hit" tabindex="-1">Bees make honey from nectar.</mark>');
    expect((await app.request('/view?source=../../etc/passwd&start=0&end=1')).status).toBe(404);
    expect((await app.request('/view?source=a.txt&start=5&end=1')).status).toBe(400);
  });

  it('shows a refused /view to a browser as a page with its reason, and to a program as JSON', async () => {
    const browser = { accept: 'text/html,application/xhtml+xml' };
    const missing = await app.request('/view?source=gone.txt&start=0&end=1', { headers: browser });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('text/html');
    expect(await missing.text()).toMatch(/NOT_FOUND, HTTP 404[\s\S]*href="\/"/);
    const backwards = await app.request('/view?source=a.txt&start=5&end=<b>1', { headers: browser });
    expect(backwards.status).toBe(400);
    const text = await backwards.text();
    expect(text).toContain('INVALID_REQUEST');
    expect(text).not.toContain('<b>');
    const program = await app.request('/view?source=gone.txt&start=0&end=1');
    expect(((await program.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });
});
