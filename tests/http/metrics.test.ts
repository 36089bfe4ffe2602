// /metrics in the Prometheus text format, read back by an independent parser; /ready apart from /health.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { createApp } from '../../src/http/app.js';
import { createMetrics } from '../../src/http/metrics.js';
import type { Service } from '../../src/live/service.js';
import { realApp, removeDir, tempDir } from '../helpers/real.js';

const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string }[];
}[];

const limits = { maxQueryChars: 200, defaultK: 5, maxK: 50, maxBodyBytes: 1024 };

describe('metrics and readiness', () => {
  let root: string;
  let service: Service;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    root = await tempDir();
    ({ service, app } = await realApp(root, { 'notes.txt': 'The kettle is in the left cupboard. Mugs hang above the sink.' }, { limits, cacheSize: 10 }));
    const metrics = createMetrics({ index: () => service.health().index as never, modelQueue: () => 0 });
    app = createApp({ engine: () => service.engine(), health: () => service.health(), limits, cacheSize: 10, metrics });
  });
  afterAll(() => removeDir(root));

  it('counts requests by route and status, times search stages, the cache and the index in use', async () => {
    for (const q of ['where is the kettle', 'where is the kettle', 'where are the mugs'])
      expect((await app.request(`/search?q=${encodeURIComponent(q)}`)).status).toBe(200);
    expect((await app.request('/search?k=3')).status).toBe(400);
    expect((await app.request('/no/such/route')).status).toBe(404);
    const res = await app.request('/metrics');
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const families = new Map(parsePrometheus(text).map((f) => [f.name, f]));
    const requests = families.get('passage_search_http_requests_total')!.metrics;
    const count = (route: string, status: string) => Number(requests.find((m) => m.labels?.route === route && m.labels?.status === status)?.value ?? 0);
    expect(count('/search', '200')).toBe(3);
    expect(count('/search', '400')).toBe(1);
    expect(count('unmatched', '404')).toBe(1);
    // The second "kettle" came from the cache: two searches timed, one hit.
    const cache = families.get('passage_search_answer_cache_total')!.metrics;
    expect(cache.find((m) => m.labels?.result === 'hit')?.value).toBe('1');
    expect(cache.find((m) => m.labels?.result === 'miss')?.value).toBe('2');
    expect(families.get('passage_search_search_stage_seconds')!.type).toBe('HISTOGRAM');
    // The parser keeps a histogram's buckets but not its labelled counts: those are read from the text itself.
    for (const stage of ['embed', 'vector', 'keyword', 'fusion'])
      expect(text).toMatch(new RegExp(`^passage_search_search_stage_seconds_count\\{stage="${stage}"\\} 2$`, 'm'));
    expect(families.get('passage_search_index_passages')!.metrics[0].value).toBe(String(service.engine().reader.manifest.passages));
    expect(families.get('passage_search_index_build_info')!.metrics[0].labels?.build).toBe(service.engine().reader.name);
    expect(families.has('passage_search_model_queue_length')).toBe(true);
    expect(families.has('passage_search_http_request_duration_seconds')).toBe(true);
    // Nothing a client sent becomes a label.
    expect(JSON.stringify([...families.values()])).not.toContain('kettle');
  });

  it('answers /ready with the build once an index is loaded, and 503 until then', async () => {
    expect(await (await app.request('/ready')).json()).toEqual({ status: 'ready', build: service.engine().reader.name });
    const notReady = () => {
      throw new AppError('INDEX_NOT_READY', 'index');
    };
    const empty = createApp({ engine: notReady, health: () => ({}), limits });
    const res = await empty.request('/ready');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INDEX_NOT_READY');
    // /health stays 200 all the same: liveness, not readiness.
    expect((await empty.request('/health')).status).toBe(200);
  });

  it('has no /metrics when metrics are off', async () => {
    const off = createApp({ engine: () => service.engine(), health: () => service.health(), limits });
    expect((await off.request('/metrics')).status).toBe(404);
  });
});
