// Prometheus metrics of the running service (prom-client): requests by route and status with their latency, the
// search's stage timings, the answer cache, the index in use, rebuilds, the model's queue. No label ever carries a
// question, a path outside the routes, or a secret.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SearchTimings } from '../search/rank.js';

export interface MetricsSources {
  /** The index in use: its build and counts; null when none is loaded. */
  index: () => { build: string; passages: number; documents: number } | null;
  /** Questions waiting for the model. */
  modelQueue?: () => number;
}

export interface Metrics {
  registry: Registry;
  request(route: string, method: string, status: number, seconds: number): void;
  search(timings: SearchTimings): void;
  cache(hit: boolean): void;
  rebuild(outcome: 'started' | 'done' | 'failed', seconds?: number): void;
}

const LATENCY = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The gauges read at each scrape: the index in use and the model's queue. */
function registerGauges(registry: Registry, sources: MetricsSources): void {
  new Gauge({
    name: 'passage_search_index_passages',
    help: 'Passages of the index in use (0 when none is loaded).',
    registers: [registry],
    collect() {
      this.set(sources.index()?.passages ?? 0);
    },
  });
  new Gauge({
    name: 'passage_search_index_documents',
    help: 'Documents of the index in use.',
    registers: [registry],
    collect() {
      this.set(sources.index()?.documents ?? 0);
    },
  });
  new Gauge({
    name: 'passage_search_index_build_info',
    help: 'The build in use, as a label; 1 while one is loaded.',
    labelNames: ['build'],
    registers: [registry],
    collect() {
      this.reset();
      const index = sources.index();
      if (index) this.set({ build: index.build }, 1);
    },
  });
  new Gauge({
    name: 'passage_search_model_queue_length',
    help: 'Questions waiting for the model.',
    registers: [registry],
    collect() {
      this.set(sources.modelQueue?.() ?? 0);
    },
  });
}

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'passage_search_http_requests_total',
    help: 'HTTP requests by route, method and status.',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'passage_search_http_request_duration_seconds',
    help: 'HTTP request latency by route and method.',
    labelNames: ['route', 'method'],
    buckets: LATENCY,
    registers: [registry],
  });
  const stages = new Histogram({
    name: 'passage_search_search_stage_seconds',
    help: 'Time of each search stage: embed, vector, keyword, fusion.',
    labelNames: ['stage'],
    buckets: LATENCY,
    registers: [registry],
  });
  const cache = new Counter({
    name: 'passage_search_answer_cache_total',
    help: 'Searches answered from the answer cache (hit) or searched (miss).',
    labelNames: ['result'],
    registers: [registry],
  });
  const rebuilds = new Counter({
    name: 'passage_search_rebuilds_total',
    help: 'Background rebuilds started, done and failed.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const rebuildTime = new Histogram({
    name: 'passage_search_rebuild_duration_seconds',
    help: 'Time of background rebuilds that ended.',
    buckets: [1, 5, 15, 60, 300, 900, 3600],
    registers: [registry],
  });
  registerGauges(registry, sources);
  return {
    registry,
    request(route, method, status, seconds) {
      requests.inc({ route, method, status: String(status) });
      latency.observe({ route, method }, seconds);
    },
    search(t) {
      stages.observe({ stage: 'embed' }, t.embedMs / 1000);
      stages.observe({ stage: 'vector' }, t.vectorMs / 1000);
      stages.observe({ stage: 'keyword' }, t.lexicalMs / 1000);
      stages.observe({ stage: 'fusion' }, t.fusionMs / 1000);
    },
    cache: (hit) => cache.inc({ result: hit ? 'hit' : 'miss' }),
    rebuild(outcome, seconds) {
      rebuilds.inc({ outcome });
      if (seconds !== undefined) rebuildTime.observe(seconds);
    },
  };
}
