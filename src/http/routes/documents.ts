// /documents: the documents of the index in use, listed and read by anyone who may search; put and deleted with the
// admin token (those two exist only when a token is set). A change answers once this server serves it, naming the
// version that holds it.
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError, type ErrorCode } from '../../errors.js';
import { described, errors, INDEX_ERRORS, json, route, type Described } from '../described.js';
import {
  documentDeletedSchema,
  documentListRequestSchema,
  documentListSchema,
  documentPathSchema,
  documentReadPathSchema,
  documentResponseSchema,
  type DocumentEntry,
} from '../document-schemas.js';
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

/** What a change over the API can fail with, besides its own refusals. */
const CHANGE_ERRORS: ErrorCode[] = [
  'UNAUTHORIZED',
  'RATE_LIMITED',
  'DOCUMENT_PATH_INVALID',
  'DOCUMENT_FROM_FOLDER',
  'BUILD_IN_PROGRESS',
  'INDEX_INVALID',
  'DATABASE_UNAVAILABLE',
  'INDEX_WRITE_FAILED',
];

/** The listing and reading of documents, which anyone who may search may do. */
function readingRoutes(api: Described, deps: DocumentRouteDeps): void {
  route(
    api,
    {
      method: 'get',
      path: '/documents',
      operationId: 'listDocuments',
      tags: ['documents'],
      summary: 'The documents of the index in use, in path order, a page at a time',
      request: { query: documentListRequestSchema },
      responses: { 200: json(documentListSchema, 'A page of documents'), ...errors(['INVALID_REQUEST', ...INDEX_ERRORS]) },
    },
    '/',
    (c) => {
      const req = parseOrThrow(documentListRequestSchema, queryParams(c));
      const { index, documents } = deps.current();
      const matching = req.origin ? documents.filter((d) => d.origin === req.origin) : documents;
      return c.json({ index, total: matching.length, offset: req.offset, limit: req.limit, documents: matching.slice(req.offset, req.offset + req.limit) });
    },
  );
  route(
    api,
    {
      method: 'get',
      path: '/documents/{path}',
      operationId: 'getDocument',
      tags: ['documents'],
      summary: 'One document of the index: where it came from, its title, size, passages, when indexed',
      request: { params: documentReadPathSchema },
      responses: { 200: json(documentResponseSchema, 'The document'), ...errors(['DOCUMENT_NOT_FOUND', ...INDEX_ERRORS]) },
    },
    '/*',
    (c) => {
      const source = pathOf(c);
      const { index, documents } = deps.current();
      const document = documents.find((d) => d.source === source);
      if (!document) throw new AppError('DOCUMENT_NOT_FOUND', JSON.stringify(source));
      return c.json({ index, document });
    },
  );
}

/** /documents: listed and read by anyone; put and deleted with the admin token (only when one is set). */
export function documentRoutes(deps: DocumentRouteDeps): Described {
  const api = described();
  readingRoutes(api, deps);
  const { writer, guard } = deps;
  if (!writer || !guard) return api;
  route(
    api,
    {
      method: 'put',
      path: '/documents/{path}',
      operationId: 'putDocument',
      tags: ['documents'],
      summary: 'Add or replace a document: its bytes as the body, read as its Content-Type (or its extension) says',
      security: [{ adminToken: [] }],
      request: {
        params: documentPathSchema,
        body: {
          description: "The file's bytes: text, Markdown, HTML, PDF or Word (.docx).",
          content: {
            'text/markdown': { schema: { type: 'string' }, example: '# Harbour notes\n\nThe ferry to the island leaves at seven every morning.' },
            'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
          },
        },
      },
      responses: {
        201: json(documentResponseSchema, 'Indexed: the version named holds it'),
        200: json(documentResponseSchema, 'The same bytes were already indexed: nothing changed'),
        ...errors([...CHANGE_ERRORS, 'DOCUMENT_UNSUPPORTED', 'DOCUMENT_TOO_LARGE', 'DOCUMENT_EMPTY', 'DOCUMENT_UNREADABLE']),
      },
    },
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
  route(
    api,
    {
      method: 'delete',
      path: '/documents/{path}',
      operationId: 'deleteDocument',
      tags: ['documents'],
      summary: 'Delete a document put over this API, every passage of it',
      security: [{ adminToken: [] }],
      request: { params: documentPathSchema },
      responses: { 200: json(documentDeletedSchema, 'Deleted: the version named is without it'), ...errors([...CHANGE_ERRORS, 'DOCUMENT_NOT_FOUND']) },
    },
    '/*',
    guard,
    async (c) => {
      const source = pathOf(c);
      const outcome = await writer.remove(source);
      return c.json({ index: outcome.version, deleted: source });
    },
  );
  return api;
}
