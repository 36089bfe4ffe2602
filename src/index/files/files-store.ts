// The files store: each build a folder under the index folder, CURRENT naming the one in use (store.ts), one build at
// a time under a lock file (lock.ts), read into memory by reader.ts.
import path from 'node:path';
import type { IndexStore } from '../store.js';
import { acquireBuildLock } from './lock.js';
import { createFilesReader } from './reader.js';
import { currentBuild, loadIndex, readManifest, reusableDocuments, reusableRows, saveIndex, writeFailed } from './store.js';

export function createFilesStore(indexDir: string): IndexStore {
  return {
    where: path.resolve(indexDir),
    async currentName() {
      const dir = await currentBuild(indexDir).catch(() => null);
      return dir && path.basename(dir);
    },
    async currentManifest() {
      const dir = await currentBuild(indexDir).catch(() => null);
      if (!dir) return null;
      try {
        return await readManifest(dir);
      } catch {
        return null;
      }
    },
    async open(options) {
      return createFilesReader(await loadIndex(indexDir, options.expect, options.efSearch), options.bm25);
    },
    reusableRows: (fingerprint) => reusableRows(indexDir, fingerprint),
    reusableDocuments: (extractor) => reusableDocuments(indexDir, extractor),
    // No room even for the lock file is a full disk, said as such.
    lock: () => acquireBuildLock(indexDir).catch((err) => Promise.reject(writeFailed(indexDir, err))),
    async save(build, signal) {
      return path.basename(await saveIndex(indexDir, build, signal));
    },
    async close() {},
  };
}
