// /documents: the documents of the index in use, listed and read by anyone who may search; put and deleted with the
// admin token (those two exist only when a token is set). A change answers once this server serves it, naming the
// version that holds it.
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../../errors.js';
import { documentListRequestSchema, type DocumentEntry } from '../document-schemas.js';
import { parseOrThrow, queryParams } from '../request.js';

/** What a change over the API made: the version that holds it, and the document as indexed. */
export interface DocumentOutcome {
  version: string;
  changed: boolean;
  document?: DocumentEntry;
}

export interface DocumentRouteDeps {
  /** The version in use and its documents; throws (INDEX_NOT_READY…) when none is loaded. */
  current: () => { index: string; documents: DocumentEntry[] };
  /** The changes; absent without an admin token. */
  writer?: {
    put(source: string, bytes: Buffer, contentType?: string): Promise<DocumentOutcome>;
    remove(source: string): Promise<DocumentOutcome>;
  };
  /** The admin token's guard (routes/admin.ts), shared with /admin: the changes exist only with it. */
  guard?: MiddlewareHandler;
  /** Largest body PUT takes. */
  maxBytes: number;
}

/** The path after /documents/, its slashes kept, as the client wrote it (percent-decoded once). */
function pathOf(c: Context): string {
  const raw = c.req.path.slice('/documents/'.length);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new AppError('DOCUMENT_PATH_INVALID', JSON.stringify(raw.slice(0, 200)), 'it is not valid percent-encoding');
  }
}

export function documentRoutes(deps: DocumentRouteDeps): Hono {
  const routes = new Hono();
  routes.get('/', (c) => {
    const req = parseOrThrow(documentListRequestSchema, queryParams(c));
    const { index, documents } = deps.current();
    const matching = req.origin ? documents.filter((d) => d.origin === req.origin) : documents;
    return c.json({ index, total: matching.length, offset: req.offset, limit: req.limit, documents: matching.slice(req.offset, req.offset + req.limit) });
  });
  routes.get('/*', (c) => {
    const source = pathOf(c);
    const { index, documents } = deps.current();
    const document = documents.find((d) => d.source === source);
    if (!document) throw new AppError('DOCUMENT_NOT_FOUND', JSON.stringify(source));
    return c.json({ index, document });
  });
  const { writer, guard } = deps;
  if (!writer || !guard) return routes;
  routes.put(
    '/*',
    guard,
    bodyLimit({
      maxSize: deps.maxBytes,
      onError: () => {
        throw new AppError('DOCUMENT_TOO_LARGE', deps.maxBytes);
      },
    }),
    async (c) => {
      const source = pathOf(c);
      const bytes = Buffer.from(await c.req.arrayBuffer());
      const outcome = await writer.put(source, bytes, c.req.header('content-type'));
      return c.json({ index: outcome.version, document: outcome.document, changed: outcome.changed }, outcome.changed ? 201 : 200);
    },
  );
  routes.delete('/*', guard, async (c) => {
    const source = pathOf(c);
    const outcome = await writer.remove(source);
    return c.json({ index: outcome.version, deleted: source });
  });
  return routes;
}
