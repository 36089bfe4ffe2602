// The Postgres store: builds in the database (writer.ts), read by SQL (reader.ts), one build at a time under a lock
// row with a heartbeat (a builder that dies lets go of it after LOCK_STALE_S), servers told of a new current build by
// NOTIFY where the database delivers it, and by their own polling everywhere.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { AppError } from '../../errors.js';
import { HASH_BYTES, INDEX_FORMAT, buildName } from '../manifest.js';
import { reuseKey } from '../../ingest/extract.js';
import type { ExtractedDocument, IndexManifest, IndexStore, ReusableRow } from '../store.js';
import { openPostgresReader } from './reader.js';
import { ensureSchema } from './schema.js';
import { connect, databaseError, schemaOf, type Db } from './sql.js';
import { pruneBuilds, writeBuild } from './writer.js';

/** A lock whose holder has not beaten for this long was left by a builder that died. */
const LOCK_STALE_S = 15;
const HEARTBEAT_MS = 5000;

export interface PostgresStore extends IndexStore {
  report(id: string, build: string | null): Promise<void>;
  listen(onChange: () => void): Promise<() => Promise<void>>;
}

export interface PostgresStoreOptions {
  /** Reports errors of idle connections and of the listener; they never throw. */
  onError?: (err: Error) => void;
}

async function takeLock(db: Db): Promise<() => Promise<void>> {
  const holder = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const { rows } = await db.query(
    `INSERT INTO ps_lock (id, holder, heartbeat) VALUES (1, $1, now())
     ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder, heartbeat = now()
      WHERE ps_lock.holder IS NULL OR ps_lock.heartbeat < now() - make_interval(secs => $2)
     RETURNING holder`,
    [holder, LOCK_STALE_S],
  );
  if (!rows.length) {
    const current = (await db.query(`SELECT holder FROM ps_lock WHERE id = 1`)).rows[0]?.holder ?? 'unknown';
    throw new AppError('BUILD_IN_PROGRESS', db.where, current);
  }
  const beat = setInterval(() => void db.query(`UPDATE ps_lock SET heartbeat = now() WHERE id = 1 AND holder = $1`, [holder]).catch(() => undefined), HEARTBEAT_MS);
  beat.unref();
  return async () => {
    clearInterval(beat);
    await db.query(`UPDATE ps_lock SET holder = NULL WHERE id = 1 AND holder = $1`, [holder]);
  };
}

async function reusableRows(db: Db, manifest: IndexManifest | null, name: string | null, fingerprint: string): Promise<Map<string, ReusableRow>> {
  const out = new Map<string, ReusableRow>();
  if (!manifest || !name) return out;
  const sameModel = JSON.parse(manifest.embedder)[0] === JSON.parse(fingerprint)[0];
  const withVectors = manifest.embedder === fingerprint;
  if (!sameModel) return out;
  const s = schemaOf(name);
  const page = 5000;
  for (let from = 0; from < manifest.vectors; from += page) {
    const { rows } = await db.query<{ hash: Buffer; tokens: number; embedding?: string }>(
      `SELECT hash, tokens${withVectors ? ', embedding::text AS embedding' : ''} FROM ${s}.sentences WHERE row_id >= $1 AND row_id < $2`,
      [from, from + page],
    );
    for (const r of rows) {
      if (r.hash.length !== HASH_BYTES) continue;
      out.set(r.hash.toString('hex'), { tokens: r.tokens, vector: r.embedding ? Float32Array.from(JSON.parse(r.embedding) as number[]) : undefined });
    }
  }
  return out;
}

/** A store on the database at `url` (postgres://…). The tables are created, or their version checked, on first use. */
export function createPostgresStore(url: string, options: PostgresStoreOptions = {}): PostgresStore {
  const onError = options.onError ?? (() => undefined);
  const db = connect(url, onError);
  let ready: Promise<void> | null = null;
  // The tables once per store; a failure (the database down) is tried again on the next call.
  const schema = () => (ready ??= ensureSchema(db).catch((err) => ((ready = null), Promise.reject(err))));
  const current = async () => {
    await schema();
    const { rows } = await db.query<{ build: string; manifest: IndexManifest }>(`SELECT c.build, b.manifest FROM ps_current c JOIN ps_builds b ON b.name = c.build`);
    return rows[0] ?? null;
  };
  return {
    where: db.where,
    currentName: async () => (await current())?.build ?? null,
    currentManifest: async () => (await current())?.manifest ?? null,
    async open(opts) {
      const found = await current();
      if (!found) throw new AppError('INDEX_NOT_READY', db.where);
      const m = found.manifest;
      if (m.format !== INDEX_FORMAT) throw new AppError('INDEX_INVALID', `${db.where} (${found.build})`, `format ${m.format} is not ${INDEX_FORMAT}; rebuild it`);
      if (m.modelId !== opts.expect.modelId || m.dimension !== opts.expect.dimension || m.embedder !== opts.expect.fingerprint) {
        throw new AppError('INDEX_MODEL_MISMATCH', `${db.where} (${found.build})`, `${m.embedder} (${m.dimension}-d)`, `${opts.expect.fingerprint} (${opts.expect.dimension}-d)`);
      }
      return openPostgresReader(db, found.build, m, opts.efSearch, opts.bm25);
    },
    async reusableRows(fingerprint) {
      const found = await current().catch(() => null);
      return reusableRows(db, found?.manifest ?? null, found?.build ?? null, fingerprint).catch(() => new Map());
    },
    async reusableDocuments(extractor) {
      const found = await current().catch(() => null);
      if (!found || found.manifest.extractor !== extractor) return new Map();
      const { rows } = await db.query<{ document: ExtractedDocument }>(`SELECT document FROM ${schemaOf(found.build)}.documents`).catch(() => ({ rows: [] }));
      return new Map(rows.map((r) => [reuseKey(r.document), r.document]));
    },
    async lock() {
      await schema();
      return takeLock(db);
    },
    async save(build, signal) {
      await schema();
      const name = buildName();
      await writeBuild(db, name, build, signal);
      await pruneBuilds(db, name).catch(onError);
      return name;
    },
    async report(id, build) {
      await db.query(`INSERT INTO ps_servers (id, build, seen_at) VALUES ($1, $2, now()) ON CONFLICT (id) DO UPDATE SET build = EXCLUDED.build, seen_at = now()`, [id, build]);
    },
    async listen(onChange) {
      const client = new pg.Client({ connectionString: url });
      client.on('error', onError);
      try {
        await client.connect();
        client.on('notification', () => onChange());
        await client.query('LISTEN ps_current');
      } catch (err) {
        await client.end().catch(() => undefined);
        throw databaseError(err, db.where);
      }
      return () => client.end();
    },
    close: () => db.pool.end(),
  };
}
