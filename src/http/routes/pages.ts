// The pages people use and the API's description: the search page, a document view, OpenAPI and Swagger UI.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AppError } from '../../errors.js';
import { described, errors, route, type Described } from '../described.js';
import { DOCS_SCRIPT, docsPage, documentPage, errorPage, SEARCH_SCRIPT, searchPage } from '../pages.js';
import { parseOrThrow, queryParams } from '../request.js';
import { viewRequestSchema } from '../schemas.js';

export interface PageRouteDeps {
  /** The API's OpenAPI document, made once every route is described. */
  openapi: () => unknown;
  /** Reads an indexed document for /view; null when the index has no such document. */
  readDocument?: (source: string) => Promise<ViewedDocument | null>;
}

/** A document as the index holds it: the extracted text hits' offsets point into, and where its pages begin. */
export interface ViewedDocument {
  text: string;
  title?: string;
  pages?: number[];
}

const swaggerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const assets = new Map<string, Promise<Buffer>>();
/** A file of Swagger UI's npm package, read once. */
function swaggerAsset(file: string): Promise<Buffer> {
  if (!assets.has(file)) assets.set(file, readFile(path.join(swaggerDir, file)));
  return assets.get(file)!;
}

/** An HTML page's description: a GET with no parameters. */
const page = (path: string, operationId: string, summary: string, description = 'HTML page') => ({
  method: 'get' as const,
  path,
  operationId,
  tags: ['pages'],
  summary,
  responses: { 200: { description } },
});

/** The assets the pages load: Swagger UI's, and the pages' own scripts (no inline script runs). */
function assetRoutes(api: Described): void {
  for (const [file, type] of [
    ['swagger-ui.css', 'text/css'],
    ['swagger-ui-bundle.js', 'text/javascript'],
  ]) {
    api.routes.get(`/docs/${file}`, async (c) =>
      c.body(new Uint8Array(await swaggerAsset(file)), 200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'max-age=86400' }),
    );
  }
  for (const [file, script] of [
    ['search.js', SEARCH_SCRIPT],
    ['docs.js', DOCS_SCRIPT],
  ]) {
    api.routes.get(`/assets/${file}`, (c) => c.body(script, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }));
  }
}

export function pageRoutes(deps: PageRouteDeps): Described {
  const api = described();
  route(api, page('/', 'searchPage', 'The search page (HTML)'), '/', (c) => c.html(searchPage()));
  const view = {
    ...page('/view', 'viewDocument', 'A document with one passage marked (HTML)'),
    request: { query: viewRequestSchema },
    responses: { 200: { description: 'HTML page' }, ...errors(['INVALID_REQUEST', 'NOT_FOUND']) },
  };
  route(api, view, '/view', async (c) => {
    try {
      const req = parseOrThrow(viewRequestSchema, queryParams(c));
      const doc = await deps.readDocument?.(req.source);
      if (!doc) throw new AppError('NOT_FOUND', 'GET', `/view?source=${req.source}`);
      const end = Math.min(req.end, doc.text.length);
      return c.html(documentPage(req.source, doc, Math.min(req.start, end), end));
    } catch (err) {
      // A browser is shown the refusal as a page; a program gets the JSON error as from every route.
      if (!(err instanceof AppError) || !c.req.header('accept')?.includes('text/html')) throw err;
      const message = err.issues ? err.issues.map((i) => `${i.path}: ${i.message}`).join('; ') : err.message;
      return c.html(errorPage(err.status, err.code, message), err.status as 400);
    }
  });
  route(api, page('/openapi.json', 'openapi', 'This document', 'OpenAPI 3.1'), '/openapi.json', (c) => c.json(deps.openapi() as object));
  route(api, page('/docs', 'docs', 'This document, for people (HTML)'), '/docs', (c) => c.html(docsPage()));
  assetRoutes(api);
  return api;
}
