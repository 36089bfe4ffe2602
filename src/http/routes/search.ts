// GET and POST /search: a question in, ranked passages out, each response naming the build that answered.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { LRUCache } from 'lru-cache';
import { AppError } from '../../errors.js';
import type { SearchEngine } from '../../search/engine.js';
import { search, type SearchResult } from '../../search/search.js';
import type { Metrics } from '../metrics.js';
import { parseOrThrow, queryParams, readJson, withDeadline } from '../request.js';
import { searchRequestSchemas, type AppLimits } from '../schemas.js';

export interface SearchRouteDeps {
  engine: () => SearchEngine;
  metrics?: Metrics;
  limits: AppLimits;
  timeoutMs?: number;
  cacheSize?: number;
}

/** A search that keeps answers per engine: a swapped-in build starts with an empty cache, the old one goes with it. */
function cachedSearch(cacheSize: number, metrics?: Metrics) {
  const caches = new WeakMap<SearchEngine, LRUCache<string, SearchResult>>();
  const searched = async (engine: SearchEngine, query: string, k: number, minScore: number | undefined, signal?: AbortSignal) => {
    const result = await search(engine, query, k, minScore, signal);
    metrics?.search(result.timings);
    return result;
  };
  return async (engine: SearchEngine, query: string, k: number, minScore: number | undefined, signal?: AbortSignal): Promise<SearchResult> => {
    if (!cacheSize) return searched(engine, query, k, minScore, signal);
    let cache = caches.get(engine);
    if (!cache) caches.set(engine, (cache = new LRUCache<string, SearchResult>({ max: cacheSize })));
    const key = JSON.stringify([query.replace(/\s+/g, ' '), k, minScore ?? null]);
    const hit = cache.get(key);
    metrics?.cache(Boolean(hit));
    if (hit) return hit;
    const result = await searched(engine, query, k, minScore, signal);
    cache.set(key, result);
    return result;
  };
}

export function searchRoutes(deps: SearchRouteDeps): Hono {
  const routes = new Hono();
  const schemas = searchRequestSchemas(deps.limits);
  const find = cachedSearch(deps.cacheSize ?? 0, deps.metrics);

  const answer = async (c: Context, query: string, k: number, minScore?: number) => {
    const started = performance.now();
    const engine = deps.engine();
    const result = await withDeadline(deps.timeoutMs ?? 0, (signal) => find(engine, query, k, minScore, signal));
    return c.json({
      query,
      hits: result.hits,
      // Which build answered: every hit of one response comes from this one build.
      index: engine.reader.name,
      tookMs: Number((performance.now() - started).toFixed(2)),
    });
  };

  routes.get('/', async (c) => {
    const req = parseOrThrow(schemas.get, queryParams(c));
    return answer(c, (req.q ?? req.query)!, req.k, req.minScore);
  });
  routes.post(
    '/',
    bodyLimit({
      maxSize: deps.limits.maxBodyBytes,
      onError: () => {
        throw new AppError('PAYLOAD_TOO_LARGE', deps.limits.maxBodyBytes);
      },
    }),
    async (c) => {
      const req = parseOrThrow(schemas.post, await readJson(c));
      return answer(c, (req.query ?? req.q)!, req.k, req.minScore);
    },
  );
  return routes;
}
