// The pages people use and the API's description: the search page, a document view, OpenAPI and Swagger UI.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Hono } from 'hono';
import { AppError } from '../../errors.js';
import { createOpenApiDocument, type DocumentedRoutes } from '../openapi.js';
import { DOCS_SCRIPT, docsPage, documentPage, errorPage, SEARCH_SCRIPT, searchPage } from '../pages.js';
import { parseOrThrow, queryParams } from '../request.js';
import { viewRequestSchema, type AppLimits } from '../schemas.js';

export interface PageRouteDeps {
  limits: AppLimits;
  /** Which optional routes exist, so the API document lists them. */
  routes: DocumentedRoutes;
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

export function pageRoutes(deps: PageRouteDeps): Hono {
  const routes = new Hono();
  const openapi = createOpenApiDocument(deps.limits, deps.routes);
  routes.get('/', (c) => c.html(searchPage()));
  routes.get('/openapi.json', (c) => c.json(openapi));
  routes.get('/docs', (c) => c.html(docsPage()));
  for (const [file, type] of [
    ['swagger-ui.css', 'text/css'],
    ['swagger-ui-bundle.js', 'text/javascript'],
  ]) {
    routes.get(`/docs/${file}`, async (c) =>
      c.body(new Uint8Array(await swaggerAsset(file)), 200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'max-age=86400' }),
    );
  }
  for (const [file, script] of [
    ['search.js', SEARCH_SCRIPT],
    ['docs.js', DOCS_SCRIPT],
  ]) {
    routes.get(`/assets/${file}`, (c) => c.body(script, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }));
  }
  routes.get('/view', async (c) => {
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
  return routes;
}
