import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { AppError } from '../../src/errors.js';
import { createApp, type AppDeps } from '../../src/http/app.js';
import { createService, type Service } from '../../src/live/service.js';
import { buildReal, realEmbedder, removeDir, tempDir, writeCorpus } from '../helpers/real.js';
import { calibrationOf } from '../../src/search/search.js';

// Response bodies are checked field by field below.
const json = async (res: Response): Promise<any> => res.json();

const limits = { maxQueryChars: 200, defaultK: 5, maxK: 50, maxBodyBytes: 1024 };

describe('HTTP API', () => {
  let root: string;
  let service: Service;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    root = await tempDir();
    const corpus = await writeCorpus(root, {
      'birds.txt':
        'Swifts spend almost their whole lives in the air. They even sleep on the wing.\n\n' +
        'Robins defend their territory all winter. Both sexes sing.\n\n' +
        'Herons nest in colonies high in tall trees. The nests are reused for years.\n\n' +
        'Owls hunt by sound as much as by sight. Their facial discs funnel sound to the ears.\n\n' +
        'Kingfishers dive for small fish from a perch. They beat the catch against a branch.\n\n' +
        'Starlings gather in huge flocks at dusk. The swirling shapes are called murmurations.',
    });
    const { indexDir } = await buildReal(root, corpus);
    service = await createService(loadConfig({ INDEX_DIR: indexDir, CORPUS_DIR: corpus }, {}), await realEmbedder());
    app = createApp({ engine: () => service.engine(), health: () => service.health(), limits });
  });
  afterAll(() => removeDir(root));

  const get = (q: string) => app.request(`/search?${q}`);
  const post = (body: string, type = 'application/json') => app.request('/search', { method: 'POST', body, headers: { 'content-type': type } });
  const errorOf = async (res: Response) => ((await json(res)) as { error: { code: string; issues?: { path: string; message: string }[] } }).error;

  it('pages with offset, in GET and POST alike, and refuses options it cannot honour, naming them', async () => {
    const three = (await json(await get('q=which+birds+sing&k=3'))).hits.map((h: { id: string }) => h.id);
    expect((await json(await get('q=which+birds+sing&k=2&offset=1'))).hits.map((h: { id: string }) => h.id)).toEqual(three.slice(1));
    expect((await json(await post(JSON.stringify({ query: 'which birds sing', k: 1, offset: 2 })))).hits.map((h: { id: string }) => h.id)).toEqual(
      three.slice(2),
    );
    expect((await json(await get('q=which+birds+sing&source=birds.txt&groupBy=source&groupSize=2'))).hits).toHaveLength(2);
    expect((await json(await get('q=which+birds+sing&source=*.pdf'))).hits).toEqual([]);
    for (const [query, field] of [
      ['q=x&offset=1001', 'offset'],
      ['q=x&offset=-1', 'offset'],
      ['q=x&groupSize=2', 'groupSize'],
      ['q=x&groupBy=title', 'groupBy'],
      ['q=x&source=', 'source'],
      [`q=x&source=${'*'.repeat(501)}`, 'source'],
    ]) {
      const res = await get(query);
      expect(res.status).toBe(400);
      expect((await errorOf(res)).issues?.map((i) => i.path)).toEqual([field]);
    }
  });

  it('answers GET /search with ranked hits and their answering sentence', async () => {
    const res = await get('q=how+do+owls+find+their+prey+in+the+dark&k=3');
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.query).toBe('how do owls find their prey in the dark');
    expect(body.hits).toHaveLength(3);
    expect(body.hits[0]).toMatchObject({ source: 'birds.txt', text: expect.stringContaining('Owls hunt by sound') });
    expect(Object.keys(body.hits[0]).sort()).toEqual(['confident', 'end', 'highlight', 'id', 'score', 'source', 'start', 'text']);
    expect(body.hits[0].confident).toBe(true);
    expect(body.hits.every((h: { confident: unknown }) => typeof h.confident === 'boolean')).toBe(true);
    expect(body.hits[0].text.slice(body.hits[0].highlight.start, body.hits[0].highlight.end)).toBe(body.hits[0].highlight.text);
    expect(typeof body.tookMs).toBe('number');
    expect(body.index).toMatch(/^v[0-9]+$/);
  });

  it('answers POST /search the same way', async () => {
    const a = await json(await get('q=where+do+herons+nest&k=2'));
    const b = await json(await post(JSON.stringify({ query: 'where do herons nest', k: 2 })));
    expect(b.hits).toEqual(a.hits);
    expect(b.hits[0].text).toContain('Herons nest in colonies');
  });

  it('defaults k to 5', async () => {
    const body = await json(await get('q=birds'));
    expect(body.hits).toHaveLength(5);
  });

  it.each([
    ['q=', 'q', 'must not be empty'],
    ['q=%20%20', 'q', 'must not be empty'],
    ['k=3', 'q', 'is required (as q or query)'],
    ['q=owls&query=herons', 'query', 'must not be given with q'],
    ['q=owls&k=0', 'k', 'must be at least 1'],
    ['q=owls&k=51', 'k', 'must be at most 50'],
    ['q=owls&k=2.5', 'k', 'must be a whole number'],
    ['q=owls&k=many', 'k', 'must be a number'],
    ['q=owls&q=herons', 'q', 'must be given once'],
    [`q=${'x'.repeat(201)}`, 'q', 'must be at most 200 characters'],
    ['q=owls&minScore=2.6', 'minScore', 'must be at most 2.5'],
    ['q=owls&minScore=', 'minScore', 'must not be empty'],
    ['q=owls&minScore=%20', 'minScore', 'must not be empty'],
    ['q=owls&k=', 'k', 'must not be empty'],
    ['q=owls&minScore=-1.5', 'minScore', 'must be at least -1'],
  ])('rejects GET %s with INVALID_REQUEST on %s', async (query, field, message) => {
    const res = await get(query);
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.code).toBe('INVALID_REQUEST');
    expect(err.issues).toContainEqual({ path: field, message });
  });

  it('rejects unknown parameters, so typos do not pass silently', async () => {
    const err = await errorOf(await get('q=owls&kk=3'));
    expect(err.code).toBe('INVALID_REQUEST');
  });

  it.each([
    ['{"query": "owls"', 'application/json', 400, 'MALFORMED_JSON'],
    ['{"query": "owls"}', 'text/plain', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['{"query": 42}', 'application/json', 400, 'INVALID_REQUEST'],
    ['{"query": "owls", "k": "3"}', 'application/json', 400, 'INVALID_REQUEST'],
    ['["owls"]', 'application/json', 400, 'INVALID_REQUEST'],
    [JSON.stringify({ query: 'x'.repeat(2000) }), 'application/json', 413, 'PAYLOAD_TOO_LARGE'],
  ])('rejects POST body %#: %s', async (body, type, status, code) => {
    const res = await post(body, type);
    expect(res.status).toBe(status);
    expect((await errorOf(res)).code).toBe(code);
  });

  it('answers unknown routes and methods with NOT_FOUND and METHOD_NOT_ALLOWED', async () => {
    const missing = await app.request('/nowhere');
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).code).toBe('NOT_FOUND');
    const wrong = await app.request('/search?q=owls', { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect((await errorOf(wrong)).code).toBe('METHOD_NOT_ALLOWED');
  });

  it('has no admin routes while no admin token is configured', async () => {
    const res = await app.request('/admin/reindex', { method: 'POST', headers: { authorization: 'Bearer anything-at-all-here' } });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('NOT_FOUND');
  });

  it('reports health with the index version', async () => {
    const body = await json(await app.request('/health'));
    expect(body.status).toBe('ok');
    expect(body.index).toMatchObject({ passages: expect.any(Number), corpusHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('says INDEX_NOT_READY (503) with what to run when there is no index', async () => {
    const empty = await tempDir();
    const bare = await createService(loadConfig({ INDEX_DIR: path.join(empty, 'index') }, {}), await realEmbedder());
    const noIndex = createApp({ engine: () => bare.engine(), health: () => bare.health(), limits });
    const res = await noIndex.request('/search?q=owls');
    expect(res.status).toBe(503);
    const err = (await json(res)).error;
    expect(err.code).toBe('INDEX_NOT_READY');
    expect(err.message).toContain('npm run build:index');
    expect((await json(await noIndex.request('/health'))).status).toBe('no-index');
    await removeDir(empty);
  });

  it('sends security headers and a request id on every response', async () => {
    for (const res of [await app.request('/search?q=owls'), await app.request('/nowhere'), await app.request('/')]) {
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('answers another method on a known path with 405 and the methods it takes', async () => {
    for (const [method, route, allow] of [
      ['DELETE', '/search', 'GET, HEAD, POST'],
      ['POST', '/', 'GET, HEAD'],
      ['PUT', '/view', 'GET, HEAD'],
      ['POST', '/docs', 'GET, HEAD'],
      ['DELETE', '/openapi.json', 'GET, HEAD'],
      ['POST', '/health', 'GET, HEAD'],
    ]) {
      const res = await app.request(route, { method });
      expect(res.status, `${method} ${route}`).toBe(405);
      expect(res.headers.get('allow'), `${method} ${route}`).toBe(allow);
      expect((await errorOf(res)).code).toBe('METHOD_NOT_ALLOWED');
    }
    expect((await app.request('/nowhere', { method: 'POST' })).status).toBe(404);
  });

  it('refuses a client that keeps sending wrong admin tokens, for the rest of the minute, and logs each attempt', async () => {
    const logged: object[] = [];
    const guarded = createApp({
      engine: () => service.engine(),
      health: () => ({}),
      limits,
      admin: { token: 'the-right-admin-token-0123', reindex: () => ({ queued: true }) },
      clientAddress: (c) => c.req.header('x-test-client') ?? '',
      logger: { info: (fields) => logged.push(fields) },
    });
    const attempt = (client: string, token: string) =>
      guarded.request('/admin/reindex', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'x-test-client': client } });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await attempt('guesser', `guess-${i}-padding-padding`)).status);
    expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
    const refused = await attempt('guesser', 'the-right-admin-token-0123');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another client is not held back by the first one's guesses.
    expect((await attempt('operator', 'the-right-admin-token-0123')).status).toBe(202);
    expect(logged.filter((f) => (f as { event?: string }).event === 'admin.unauthorized')).toHaveLength(10);
  });

  it('tells no folder, address or raw system message in public errors and /health; the log has them', async () => {
    const hidden = path.join(root, 'a-secret-folder', 'index');
    const empty = await createService(loadConfig({ INDEX_DIR: hidden, CORPUS_DIR: hidden }, {}), await realEmbedder());
    const bare = createApp({
      engine: () => empty.engine(),
      health: () => ({
        ...empty.health(),
        rebuild: {
          running: false,
          pid: 4242,
          queued: false,
          lastStartedAt: null,
          lastFinishedAt: null,
          lastError: { message: `error INDEX_WRITE_FAILED: could not write ${hidden}`, code: 'INDEX_WRITE_FAILED', at: 'now' },
        },
      }),
      limits,
      corsOrigin: '*',
    });
    const res = await bare.request('/search?q=owls', { headers: { origin: 'https://elsewhere.example' } });
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe('INDEX_NOT_READY');
    expect(text).not.toContain('a-secret-folder');
    const health = await (await bare.request('/health')).text();
    expect(health).not.toContain('a-secret-folder');
    expect(health).not.toContain('4242');
    expect(JSON.parse(health).rebuild.lastError.message).toBe('the build failed: INDEX_WRITE_FAILED');
    expect(JSON.parse(health).lastError.code).toBe('INDEX_NOT_READY');
  });

  it('takes the question as q or as query, in GET and in POST alike', async () => {
    const byQ = await json(await get('q=where+do+owls+hunt&k=1'));
    const byQuery = await json(await get('query=where+do+owls+hunt&k=1'));
    const posted = await json(await post('{"q":"where do owls hunt","k":1}'));
    expect(byQuery.hits).toEqual(byQ.hits);
    expect(posted.hits).toEqual(byQ.hits);
    expect(posted.query).toBe('where do owls hunt');
  });

  it('opens CORS for /search only (GET, POST and its preflight), and only when configured', async () => {
    const open = createApp({ engine: () => service.engine(), health: () => ({}), limits, corsOrigin: 'https://a.example' });
    const origin = { origin: 'https://a.example' };
    expect((await open.request('/search?q=owls', { headers: origin })).headers.get('access-control-allow-origin')).toBe('https://a.example');
    const post = await open.request('/search', { method: 'POST', body: '{"query":"owls"}', headers: { ...origin, 'content-type': 'application/json' } });
    expect(post.headers.get('access-control-allow-origin')).toBe('https://a.example');
    const preflight = await open.request('/search', {
      method: 'OPTIONS',
      headers: { ...origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('content-type');
    expect((await open.request('/health', { headers: origin })).headers.get('access-control-allow-origin')).toBeNull();
    expect((await app.request('/search?q=owls', { headers: origin })).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers REQUEST_TIMEOUT when a search takes too long, and stops its work', async () => {
    const signals: AbortSignal[] = [];
    // An embedder that never answers, but hears the request's signal as the real one does.
    const neverAnswers = (_texts: string[], options?: { signal?: AbortSignal }) => {
      signals.push(options!.signal!);
      return new Promise<Float32Array[]>((_, reject) => options!.signal!.addEventListener('abort', () => reject(options!.signal!.reason)));
    };
    // The build's confidence threshold is made once, by its first search; here it is made before the embedder stalls.
    await calibrationOf(service.engine());
    const slow = createApp({
      engine: () => ({ ...service.engine(), embedder: { ...service.engine().embedder, embedQueries: neverAnswers } }),
      health: () => ({}),
      limits,
      timeoutMs: 50,
    });
    const res = await slow.request('/search?q=owls');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect((await errorOf(res)).code).toBe('REQUEST_TIMEOUT');
    expect(signals).toHaveLength(1);
    expect(signals[0].aborted).toBe(true);
  });

  it('answers REQUEST_TIMEOUT even when a stage holds the event loop past the limit', async () => {
    const engine = service.engine();
    const [vector] = await engine.embedder.embedQueries(['owls']);
    // Every stage answers without a turn of the event loop, and the cosines hold the thread for 30 ms: the deadline's
    // timer cannot fire before the answer is made, so only the clock tells.
    const reader = {
      ...engine.reader,
      cosines: async (query: Float32Array, rows: number[]) => {
        const until = performance.now() + 30;
        while (performance.now() < until);
        return engine.reader.cosines(query, rows);
      },
    };
    const instant = { ...engine.embedder, embedQueries: async () => [vector] };
    const slow = createApp({ engine: () => ({ ...engine, reader, embedder: instant }), health: () => ({}), limits, timeoutMs: 5 });
    const res = await slow.request('/search?q=owls');
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe('REQUEST_TIMEOUT');
  });

  it('answers OVERLOADED with Retry-After when too many questions wait for the model', async () => {
    const engine = service.engine();
    const crowded = createApp({
      engine: () => ({ ...engine, embedder: { ...engine.embedder, embedQueries: async () => Promise.reject(new AppError('OVERLOADED', 256)) } }),
      health: () => ({}),
      limits,
    });
    const res = await crowded.request('/search?q=owls');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect((await errorOf(res)).code).toBe('OVERLOADED');
  });

  it('limits searches per client when configured', async () => {
    const limited = createApp({
      engine: () => service.engine(),
      health: () => ({}),
      limits,
      rateLimitPerMinute: 3,
      clientAddress: (c) => c.req.header('x-test-client') ?? '',
    });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await limited.request('/search?q=owls', { headers: { 'x-test-client': 'a' } })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const other = await limited.request('/search?q=owls', { headers: { 'x-test-client': 'b' } });
    expect(other.status).toBe(200);
    const refused = await limited.request('/search?q=owls', { headers: { 'x-test-client': 'a' } });
    expect((await errorOf(refused)).code).toBe('RATE_LIMITED');
  });

  it('answers a repeated question from a bounded cache that a new build empties', async () => {
    let embedded = 0;
    const counting = (engine: ReturnType<Service['engine']>) => ({
      ...engine,
      embedder: { ...engine.embedder, embedQueries: (q: string[]) => (embedded++, engine.embedder.embedQueries(q)) },
    });
    await calibrationOf(service.engine());
    let current = counting(service.engine());
    const cachedApp = createApp({ engine: () => current, health: () => ({}), limits, cacheSize: 2 });
    const first = await json(await cachedApp.request('/search?q=where+do+herons+nest'));
    const again = await json(await cachedApp.request('/search?q=where++do+herons+nest'));
    expect(again.hits).toEqual(first.hits);
    expect(embedded).toBe(1);
    await cachedApp.request('/search?q=owls');
    await cachedApp.request('/search?q=robins');
    await cachedApp.request('/search?q=where+do+herons+nest'); // pushed out by the two above
    expect(embedded).toBe(4);
    current = counting(service.engine()); // a swapped-in build
    await cachedApp.request('/search?q=where+do+herons+nest');
    expect(embedded).toBe(5);
  });

  it('logs one line a request with its id, and no authorization header', async () => {
    const lines: object[] = [];
    const logged = createApp({ engine: () => service.engine(), health: () => ({}), limits, logger: { info: (fields) => lines.push(fields) } });
    const res = await logged.request('/search?q=owls', { headers: { authorization: 'Bearer secret-value' } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ reqId: res.headers.get('x-request-id'), method: 'GET', path: '/search', status: 200 });
    expect(JSON.stringify(lines)).not.toContain('secret-value');
  });

  it('hides internal errors behind INTERNAL and reports them to the logger', async () => {
    const seen: unknown[] = [];
    const deps: AppDeps = {
      engine: () => {
        throw new TypeError('secret detail');
      },
      health: () => ({}),
      limits,
      onInternalError: (err) => seen.push(err),
    };
    const res = await createApp(deps).request('/search?q=owls');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe('INTERNAL');
    expect(text).not.toContain('secret detail');
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toBeInstanceOf(AppError);
  });
});
