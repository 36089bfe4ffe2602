// `npm run db:dev`: a real PostgreSQL (PGlite: Postgres compiled to WebAssembly) with pgvector, served over the
// ordinary wire protocol on 127.0.0.1 for development and tests. Not a production database: one process, its
// connections multiplexed onto one Postgres session, NOTIFY not delivered across connections.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { runIfMain } from './processes.js';

export interface DevDatabase {
  url: string;
  stop(): Promise<void>;
}

/** Starts the database: in memory, or kept in `dataDir`. Resolves once it accepts connections. */
export async function startDevDatabase(options: { port: number; host?: string; dataDir?: string }): Promise<DevDatabase> {
  const host = options.host ?? '127.0.0.1';
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir ? path.resolve(options.dataDir) : undefined, { extensions: { vector } });
  const server = new PGLiteSocketServer({ db, port: options.port, host, maxConnections: 100 });
  await server.start();
  return {
    url: `postgres://postgres:postgres@${host}:${options.port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

runIfMain(
  import.meta.url,
  new Command('db:dev')
    .description('a development PostgreSQL with pgvector (PGlite) on 127.0.0.1; prints the DATABASE_URL to use')
    .option('--port <port>', 'port to listen on', '5433')
    .option('--data <dir>', 'keep the data in this folder (default: in memory, gone when it stops)')
    .action(async (flags: { port: string; data?: string }) => {
      const dev = await startDevDatabase({ port: Number(flags.port), dataDir: flags.data });
      process.stdout.write(`DATABASE_URL=${dev.url}\n`);
      process.stderr.write(
        `PostgreSQL (PGlite) with pgvector on 127.0.0.1:${flags.port}, data ${flags.data ? `in ${path.resolve(flags.data)}` : 'in memory'}; Ctrl-C stops it.\n`,
      );
      const stop = async () => {
        await dev.stop();
        process.exit(0);
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    }),
);
