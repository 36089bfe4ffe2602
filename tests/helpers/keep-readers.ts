// Every test file's in-process builds and changes read through one pool of reader workers, as a server's change
// worker does (a pool started for each build would cost each a worker's start; the CLI's builds, run as processes by
// the system tests, still start their own). A reading under other limits than the defaults gets a pool of its own.
import { keepReaderPool } from '../../src/ingest/reader-pool.js';

keepReaderPool();
