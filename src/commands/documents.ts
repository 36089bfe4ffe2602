// `put`, `delete` and `list`: the document API from the command line, on the index directly (no server needed;
// running servers follow the new version as they follow a build). The model is loaded only when a put holds text the
// index does not know.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildSettings } from '../config.js';
import { AppError } from '../errors.js';
import { changeDocuments } from '../index/documents.js';
import type { DocumentEntry } from '../index/manifest.js';
import { storeFor } from '../live/store-for.js';
import type { Embedder } from '../model/embedder.js';
import { configFrom, embedderFor, type Flags } from './shared.js';

/** Runs one change with the model loaded only if it is needed; prints the version and the document. */
async function change(flags: Flags, changes: Parameters<typeof changeDocuments>[0]): Promise<void> {
  const config = configFrom(flags);
  const store = storeFor(config);
  let embedder: Embedder | null = null;
  try {
    const result = await changeDocuments(changes, async () => (embedder ??= await embedderFor(config)), {
      store,
      ...buildSettings(config),
      waitMs: 30_000,
      maxBytes: config.MAX_DOCUMENT_BYTES,
    });
    const doc = result.manifest.documents.find((d) => d.source === changes[0].source);
    const what = changes[0].bytes ? (result.upToDate ? 'Unchanged (the same bytes are indexed)' : `Indexed ${doc?.passages ?? 0} passages of`) : 'Deleted';
    process.stdout.write(`${what} ${changes[0].source} → ${result.name} in ${store.where}\n`);
  } finally {
    await (embedder as Embedder | null)?.dispose();
    await store.close();
  }
}

export async function runPut(file: string, flags: Flags & { as?: string; type?: string }): Promise<void> {
  const { as, type, ...rest } = flags;
  const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new AppError('DOCUMENT_UNREADABLE', JSON.stringify(file), err.code === 'ENOENT' ? 'no such file' : (err.code ?? err.message));
  });
  const source = String(as ?? path.basename(file));
  await change(rest, [{ source, bytes, contentType: type ? String(type) : undefined }]);
}

export async function runDelete(source: string, flags: Flags): Promise<void> {
  await change(flags, [{ source }]);
}

export async function runList(flags: Flags & { origin?: string; json?: boolean }): Promise<void> {
  const { origin, json, ...rest } = flags;
  if (origin !== undefined && origin !== 'folder' && origin !== 'api')
    throw new AppError('INVALID_REQUEST', [{ path: '--origin', message: 'must be folder or api' }]);
  const config = configFrom(rest);
  const store = storeFor(config);
  try {
    const manifest = await store.currentManifest();
    if (!manifest) throw new AppError('INDEX_NOT_READY', store.where);
    const documents: DocumentEntry[] = manifest.documents.filter((d) => !origin || d.origin === origin);
    if (json) {
      process.stdout.write(`${JSON.stringify({ index: await store.currentName(), documents }, null, 2)}\n`);
      return;
    }
    for (const d of documents) {
      process.stdout.write(
        `${d.origin === 'api' ? 'api   ' : 'folder'}  ${d.source}${d.title ? `  “${d.title}”` : ''}  ${d.passages} passages, ${d.bytes} bytes, indexed ${d.indexedAt}\n`,
      );
    }
    process.stdout.write(`${documents.length} document(s) in ${await store.currentName()}\n`);
  } finally {
    await store.close();
  }
}
