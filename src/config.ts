// The only reader of process.env: one zod schema, parsed once, frozen. The operator's settings are documented in
// .env.example; the ranking profile's in the README.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isIP } from 'node:net';
import { AppError } from './errors.js';

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);
const num = (def: number, min: number, max: number) => z.coerce.number().min(min).max(max).default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => ['true', '1', 'yes'].includes(v));

/** What an operator sets: where things are, the model, the limits, the token, logging. Listed in .env.example. */
export const operatorSettings = {
  PORT: int(3000, 0, 65535),
  HOST: z
    .string()
    .min(1)
    .refine((h) => isIP(h) !== 0 || (!/^[\d.]+$/.test(h) && /^[A-Za-z0-9.-]+$/.test(h)), {
      message: 'must be an IP address (127.0.0.1, 0.0.0.0, ::1) or a host name',
    })
    .default('127.0.0.1'),
  CORPUS_DIR: z.string().min(1).default('corpus'),
  INDEX_DIR: z.string().min(1).default('index'),
  DATABASE_URL: z
    .string()
    .refine((v) => {
      try {
        const u = new URL(v);
        return ['postgres:', 'postgresql:'].includes(u.protocol) && Boolean(u.hostname);
      } catch {
        return false;
      }
    }, 'must be a postgres:// or postgresql:// URL with a host, such as postgres://user:password@host:5432/database')
    .optional(),
  INDEX_POLL_MS: int(2000, 0, 3_600_000),
  MODELS_DIR: z.string().min(1).default('models'),
  EMBED_MODEL: z.string().min(1).default('use-lite'),
  ALLOW_REMOTE_MODELS: bool(false),
  RANKING_PROFILE: z.string().optional(),
  SEARCH_DEFAULT_K: int(5, 1, 50),
  SEARCH_MAX_K: int(50, 1, 1000),
  WATCH: bool(false),
  WATCH_DEBOUNCE_MS: int(100, 0, 600000),
  WATCH_CHECK_MS: int(2000, 0, 600000),
  BUILD_TIMEOUT_MS: int(1_800_000, 0, 86_400_000),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  QUERY_CACHE_SIZE: int(1000, 0, 1000000),
  REQUEST_TIMEOUT_MS: int(10000, 0, 600000),
  MAX_QUEUED_QUERIES: int(256, 1, 100000),
  SHUTDOWN_GRACE_MS: int(10_000, 0, 600000),
  CORS_ORIGIN: z.string().default('*'),
  RATE_LIMIT_PER_MINUTE: int(0, 0, 1000000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('info'),
  METRICS: bool(true),
  MAX_QUERY_CHARS: int(1000, 1, 100000),
  MAX_BODY_BYTES: int(16384, 256, 10485760),
  MAX_DOCUMENT_BYTES: int(50 * 1024 * 1024, 1024, 100 * 1024 * 1024),
  DATABASE_POOL_SIZE: int(8, 1, 1000),
};

/**
 * The ranking profile: how text becomes passages and vectors, and how the two sides are mixed. Research knobs with
 * measured defaults (README, "Ranking profile"); a JSON file named by RANKING_PROFILE sets them, and an environment
 * variable of the same name wins over the file, for experiments.
 */
export const rankingSettings = {
  EMBED_POOLING: z.enum(['auto', 'mean', 'cls']).default('auto'),
  EMBED_QUERY_PREFIX: z.string().optional(),
  EMBED_PASSAGE_PREFIX: z.string().optional(),
  EMBED_BATCH_SIZE: int(32, 1, 1024),
  CHUNK_WORDS: int(145, 1, 2000),
  CHUNK_OVERLAP: int(50, 0, 1999),
  CHUNK_MAX_TOKENS: int(128, 8, 8192),
  HNSW_M: int(16, 4, 128),
  HNSW_EF_CONSTRUCTION: int(200, 10, 2000),
  HNSW_EF_SEARCH: int(200, 10, 2000),
  SEARCH_DEPTH: int(100, 10, 10000),
  FUSION_KEYWORD_MIN: num(0.2, 0, 1),
  FUSION_KEYWORD_MAX: num(0.55, 0, 1),
  FUSION_COVERAGE_MIDPOINT: num(0.3, 0, 1),
  SEARCH_DEDUP: bool(true),
  BM25_K1: num(1.5, 0, 10),
  BM25_B: num(0.75, 0, 1),
};

export const configSchema = z
  .object({ ...operatorSettings, ...rankingSettings })
  .refine((c) => c.CHUNK_OVERLAP < c.CHUNK_WORDS, {
    path: ['CHUNK_OVERLAP'],
    message: 'must be smaller than CHUNK_WORDS',
  })
  .refine((c) => c.FUSION_KEYWORD_MIN <= c.FUSION_KEYWORD_MAX, {
    path: ['FUSION_KEYWORD_MIN'],
    message: 'must not exceed FUSION_KEYWORD_MAX',
  })
  .refine((c) => c.SEARCH_DEFAULT_K <= c.SEARCH_MAX_K, {
    path: ['SEARCH_DEFAULT_K'],
    message: 'must not exceed SEARCH_MAX_K',
  });

export const invalid = (issues: { path: string; message: string }[]) =>
  new AppError('CONFIG_INVALID', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);

/** The settings a ranking profile file gives, as strings; throws CONFIG_INVALID naming the file and what is wrong. */
function readProfile(file: string): Record<string, string> {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw invalid([{ path: 'RANKING_PROFILE', message: `${file}: ${(err as Error).message}` }]);
  }
  const value = z.union([z.string(), z.number(), z.boolean()]).optional();
  const parsed = z.strictObject(Object.fromEntries(Object.keys(rankingSettings).map((k) => [k, value]))).safeParse(data);
  if (!parsed.success) {
    throw invalid(parsed.error.issues.map((i) => ({ path: `RANKING_PROFILE ${file}${i.path.length ? ` ${i.path.join('.')}` : ''}`, message: i.message })));
  }
  return Object.fromEntries(
    Object.entries(parsed.data)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );
}

export type Config = Readonly<z.infer<typeof configSchema>>;

/**
 * Reads the configuration from `env` (process.env by default) with `overrides` (CLI flags) on top.
 * Unknown keys are ignored; empty strings count as unset. Throws CONFIG_INVALID listing every bad key.
 */
export function loadConfig(overrides: Record<string, string | number | boolean | undefined> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, unknown> = {};
  for (const key of [...Object.keys(operatorSettings), ...Object.keys(rankingSettings)]) {
    const value = overrides[key] ?? env[key];
    if (value !== undefined && value !== '') input[key] = typeof value === 'string' ? value : String(value);
  }
  if (typeof input.RANKING_PROFILE === 'string') {
    for (const [key, value] of Object.entries(readProfile(input.RANKING_PROFILE))) input[key] ??= value;
  }
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw invalid(parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  return Object.freeze(parsed.data);
}

/** The ranking settings of a config; `depth` may be raised for evaluations that need more candidates. */
export function searchSettings(config: Config, depth = config.SEARCH_DEPTH) {
  return {
    depth,
    keywordShare: { min: config.FUSION_KEYWORD_MIN, max: config.FUSION_KEYWORD_MAX, midpoint: config.FUSION_COVERAGE_MIDPOINT },
    dedup: config.SEARCH_DEDUP,
    bm25: { k1: config.BM25_K1, b: config.BM25_B },
  };
}

/** What shapes an index a build makes under a config: the model as configured, chunking, HNSW. */
export function buildSettings(config: Config) {
  return {
    model: JSON.stringify([config.EMBED_MODEL, config.EMBED_POOLING, config.EMBED_QUERY_PREFIX ?? null, config.EMBED_PASSAGE_PREFIX ?? null]),
    chunking: { words: config.CHUNK_WORDS, overlap: config.CHUNK_OVERLAP, maxTokens: config.CHUNK_MAX_TOKENS },
    hnsw: { M: config.HNSW_M, efConstruction: config.HNSW_EF_CONSTRUCTION },
  };
}

/** Where the index lives under a config: the database DATABASE_URL names (with its pool), or the folder INDEX_DIR. */
export function storeSettings(config: Config): { database: { url: string; poolSize: number } } | { folder: string } {
  return config.DATABASE_URL ? { database: { url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE } } : { folder: config.INDEX_DIR };
}

/** HNSW's search breadth for a reader: the configured one, raised to `depth` when a ranking asks for more. */
export function searchBreadth(config: Config, depth = 0): number {
  return Math.max(config.HNSW_EF_SEARCH, depth);
}

/** The limits every way of asking (HTTP, MCP, the command line) checks a search against. */
export function requestLimits(config: Config) {
  return {
    maxQueryChars: config.MAX_QUERY_CHARS,
    defaultK: config.SEARCH_DEFAULT_K,
    maxK: config.SEARCH_MAX_K,
    maxBodyBytes: config.MAX_BODY_BYTES,
    maxScore: 1 + config.BM25_K1,
  };
}

/** The embedder options of a config. */
export function embedderOptions(config: Config) {
  return {
    model: config.EMBED_MODEL,
    modelsDir: config.MODELS_DIR,
    batchSize: config.EMBED_BATCH_SIZE,
    allowRemote: config.ALLOW_REMOTE_MODELS,
    pooling: config.EMBED_POOLING,
    queryPrefix: config.EMBED_QUERY_PREFIX,
    passagePrefix: config.EMBED_PASSAGE_PREFIX,
    maxQueuedQueries: config.MAX_QUEUED_QUERIES,
  };
}

/**
 * The environment variable that hands a child process its parent's whole configuration as one JSON value: when set,
 * it is the child's only source of settings (no variable of the child's own environment mixes in).
 */
export const CONFIG_VARIABLE = 'PASSAGE_SEARCH_CONFIG';

/** The configuration a parent process handed over in CONFIG_VARIABLE, as settings to parse; undefined when none. */
export function settingsGiven(): Record<string, string> | undefined {
  const given = process.env[CONFIG_VARIABLE];
  if (!given) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(given);
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `${CONFIG_VARIABLE} is not JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AppError('CONFIG_INVALID', `${CONFIG_VARIABLE} is not a JSON object`);
  return Object.fromEntries(
    Object.entries(parsed)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );
}
