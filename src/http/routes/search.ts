// GET and POST /search: a question in, ranked passages out, each response naming the build that answered.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { LRUCache } from 'lru-cache';
import { AppError } from '../../errors.js';
import type { SearchEngine } from '../../search/engine.js';
import { search, type SearchOptions, type SearchResult } from '../../search/search.js';
import type { Metrics } from '../metrics.js';
import { parseOrThrow, queryParams, readJson, withDeadline } from '../request.js';
import { searchOptionsOf, searchRequestSchemas, type AppLimits } from '../schemas.js';

type Asked = Omit<SearchOptions, 'signal'> & { query: string };

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
  const searched = async (engine: SearchEngine, asked: Asked, signal?: AbortSignal) => {
    const { query, ...options } = asked;
    const result = await search(engine, query, { ...options, signal });
    metrics?.search(result.timings);
    return result;
  };
  return async (engine: SearchEngine, asked: Asked, signal?: AbortSignal): Promise<SearchResult> => {
    if (!cacheSize) return searched(engine, asked, signal);
    let cache = caches.get(engine);
    if (!cache) caches.set(engine, (cache = new LRUCache<string, SearchResult>({ max: cacheSize })));
    const { query, k, offset, minScore, source, perSource } = asked;
    const key = JSON.stringify([query.replace(/\s+/g, ' '), k, offset ?? 0, minScore ?? null, source ?? null, perSource ?? null]);
    const hit = cache.get(key);
    metrics?.cache(Boolean(hit));
    if (hit) return hit;
    const result = await searched(engine, asked, signal);
    cache.set(key, result);
    return result;
  };
}

export function searchRoutes(deps: SearchRouteDeps): Hono {
  const routes = new Hono();
  const schemas = searchRequestSchemas(deps.limits);
  const find = cachedSearch(deps.cacheSize ?? 0, deps.metrics);

  const answer = async (c: Context, asked: Asked) => {
    const started = performance.now();
    const engine = deps.engine();
    const result = await withDeadline(deps.timeoutMs ?? 0, (signal) => find(engine, asked, signal));
    return c.json({
      query: asked.query,
      hits: result.hits,
      threshold: Number(result.threshold.toFixed(6)),
      // Which version answered: every hit of one response comes from this one version.
      index: result.index,
      tookMs: Number((performance.now() - started).toFixed(2)),
    });
  };

  routes.get('/', async (c) => {
    const req = parseOrThrow(schemas.get, queryParams(c));
    return answer(c, searchOptionsOf(req));
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
      return answer(c, searchOptionsOf(req));
    },
  );
  return routes;
}
