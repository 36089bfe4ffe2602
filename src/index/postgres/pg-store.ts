// The Postgres store: every version's rows in the same tables, keyed by document (schema.ts; distributed by document on
// a Citus coordinator, docs/citus.md); a change is one
// transaction (writer.ts); reads by SQL (reader.ts). One writer at a time under a lock row with a heartbeat (a
// writer that dies lets go of it after LOCK_STALE_S); servers told of a new version by NOTIFY where the database
// delivers it, and by their own polling everywhere.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { AppError } from '../../errors.js';
import { checkManifest, versionName, type IndexManifest } from '../manifest.js';
import type { ExtractedDocument, IndexStore } from '../store.js';
import { createRecordCache, openPostgresReader } from './reader.js';
import { ensureSchema } from './schema.js';
import { connect, databaseError, type Db } from './sql.js';
import { beginChange, knownOn } from './writer.js';

/** A lock whose holder has not beaten for this long was left by a writer that died. */
const LOCK_STALE_S = 15;
const HEARTBEAT_MS = 5000;

export interface PostgresStore extends IndexStore {
  report(id: string, version: string | null): Promise<void>;
  listen(onChange: () => void): Promise<() => Promise<void>>;
}

export interface PostgresStoreOptions {
  /** Reports errors of idle connections and of the listener; they never throw. */
  onError?: (err: Error) => void;
  /** Connections of the pool (DATABASE_POOL_SIZE). */
  poolSize?: number;
}

async function tryLock(db: Db, holder: string): Promise<string | null> {
  const { rows } = await db.query(
    `INSERT INTO ps_lock (id, holder, heartbeat) VALUES (1, $1, now())
     ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder, heartbeat = now()
      WHERE ps_lock.holder IS NULL OR ps_lock.heartbeat < now() - make_interval(secs => $2)
     RETURNING holder`,
    [holder, LOCK_STALE_S],
  );
  if (rows.length) return null;
  return (await db.query(`SELECT holder FROM ps_lock WHERE id = 1`)).rows[0]?.holder ?? 'unknown';
}

async function takeLock(db: Db, waitMs: number): Promise<() => Promise<void>> {
  const holder = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const until = Date.now() + waitMs;
  for (;;) {
    const other = await tryLock(db, holder);
    if (other === null) break;
    if (Date.now() >= until) throw new AppError('BUILD_IN_PROGRESS', db.where, other);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const beat = setInterval(
    () => void db.query(`UPDATE ps_lock SET heartbeat = now() WHERE id = 1 AND holder = $1`, [holder]).catch(() => undefined),
    HEARTBEAT_MS,
  );
  beat.unref();
  return async () => {
    clearInterval(beat);
    await db.query(`UPDATE ps_lock SET holder = NULL WHERE id = 1 AND holder = $1`, [holder]);
  };
}

/** A store on the database at `url` (postgres://…). The tables are created, or their version checked, on first use. */
export function createPostgresStore(url: string, options: PostgresStoreOptions = {}): PostgresStore {
  const onError = options.onError ?? (() => undefined);
  const db = connect(url, { poolSize: options.poolSize, onError });
  const records = createRecordCache();
  let ready: Promise<void> | null = null;
  // The tables once per store; a failure (the database down) is tried again on the next call.
  const schema = () => (ready ??= ensureSchema(db).catch((err) => ((ready = null), Promise.reject(err))));
  const state = async () => {
    await schema();
    const { rows } = await db.query<{ version: string; manifest: IndexManifest }>('SELECT version, manifest FROM ps_state');
    return rows[0] ? { name: versionName(Number(rows[0].version)), manifest: rows[0].manifest } : null;
  };
  const quiet = <T>(work: Promise<T>, fallback: T) => work.catch(() => fallback);
  return {
    where: db.where,
    currentName: async () => (await state())?.name ?? null,
    currentManifest: async () => (await state())?.manifest ?? null,
    async open(opts) {
      const found = await state();
      if (!found) throw new AppError('INDEX_NOT_READY', db.where);
      checkManifest(found.manifest, await opts.expect, `${db.where} (${found.name})`);
      return openPostgresReader(db, found.name, found.manifest, opts.efSearch, records);
    },
    knownSentences: (hashes, withVectors) =>
      quiet(
        schema().then(() => knownOn({ query: (t: string, v?: unknown[]) => db.query(t, v) } as never, hashes, withVectors)),
        new Map(),
      ),
    async documents(sources) {
      await schema();
      // A text value cannot hold NUL: no document has such a name, and the database would refuse the question.
      const { rows } = sources
        ? await db.query<{ document: ExtractedDocument }>('SELECT document FROM ps_documents WHERE source = ANY($1::text[])', [
            sources.filter((s) => !s.includes('\0')),
          ])
        : await db.query<{ document: ExtractedDocument }>('SELECT document FROM ps_documents');
      return new Map(rows.map((r) => [r.document.source, r.document]));
    },
    async blob(sha256) {
      await schema();
      const { rows } = await db.query<{ blob: Buffer }>('SELECT blob FROM ps_documents WHERE sha256 = $1 AND blob IS NOT NULL LIMIT 1', [sha256]);
      return rows[0]?.blob ?? null;
    },
    async lock(waitMs = 0) {
      await schema();
      return takeLock(db, waitMs);
    },
    async begin(change) {
      await schema();
      return beginChange(db, change);
    },
    async report(id, version) {
      await db.query(
        `INSERT INTO ps_servers (id, build, seen_at) VALUES ($1, $2, now()) ON CONFLICT (id) DO UPDATE SET build = EXCLUDED.build, seen_at = now()`,
        [id, version],
      );
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
