// GET and POST /search: a question in, ranked passages out, each response naming the build that answered.
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { LRUCache } from 'lru-cache';
import { AppError, type ErrorCode } from '../../errors.js';
import type { SearchEngine } from '../../search/engine.js';
import { search, type SearchOptions, type SearchResult } from '../../search/search.js';
import type { Metrics } from '../metrics.js';
import { parseOrThrow, queryParams, readJson, withDeadline } from '../request.js';
import { described, errors, json, route, type Described } from '../described.js';
import { searchOptionsOf, searchRequestSchemas, searchResponseSchema, type AppLimits } from '../schemas.js';

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

/** What a search can fail with, beyond the body's own errors. */
const SEARCH_ERRORS: ErrorCode[] = [
  'INVALID_REQUEST',
  'RATE_LIMITED',
  'INDEX_NOT_READY',
  'INDEX_INVALID',
  'INDEX_MODEL_MISMATCH',
  'REQUEST_TIMEOUT',
  'OVERLOADED',
  'DATABASE_UNAVAILABLE',
  'DATABASE_SCHEMA_MISMATCH',
  'MODEL_OUTPUT_INVALID',
  'INTERNAL',
];

/** GET and POST /search, both names of the question accepted by each. */
export function searchRoutes(deps: SearchRouteDeps): Described {
  const api = described();
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

  route(
    api,
    {
      method: 'get',
      path: '/search',
      operationId: 'searchGet',
      tags: ['search'],
      summary: 'Ranked passages answering a question',
      request: { query: schemas.get },
      responses: { 200: json(searchResponseSchema, 'Hits, best first'), ...errors(SEARCH_ERRORS) },
    },
    '/',
    async (c) => answer(c, searchOptionsOf(parseOrThrow(schemas.get, queryParams(c)))),
  );
  route(
    api,
    {
      method: 'post',
      path: '/search',
      operationId: 'searchPost',
      tags: ['search'],
      summary: 'The same, with a JSON body',
      request: { body: { content: { 'application/json': { schema: schemas.post } } } },
      responses: {
        200: json(searchResponseSchema, 'Hits, best first'),
        ...errors([...SEARCH_ERRORS, 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE']),
      },
    },
    '/',
    bodyLimit({
      maxSize: deps.limits.maxBodyBytes,
      onError: () => {
        throw new AppError('PAYLOAD_TOO_LARGE', deps.limits.maxBodyBytes);
      },
    }),
    async (c) => answer(c, searchOptionsOf(parseOrThrow(schemas.post, await readJson(c)))),
  );
  return api;
}
