// The OpenAPI 3 document, generated from the zod schemas that validate the requests (schemas.ts).
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import { ERRORS, type ErrorCode } from '../errors.js';
import {
  documentDeletedSchema,
  documentListRequestSchema,
  documentListSchema,
  documentPathSchema,
  documentReadPathSchema,
  documentResponseSchema,
} from './document-schemas.js';
import {
  errorBodySchema,
  healthSchema,
  readySchema,
  reindexResponseSchema,
  searchRequestSchemas,
  searchResponseSchema,
  viewRequestSchema,
  type AppLimits,
} from './schemas.js';

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });

/** The error responses a route can give, grouped by status, each listing its codes. */
function errors(codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERRORS[code].status, [...(byStatus.get(ERRORS[code].status) ?? []), code]);
  return Object.fromEntries([...byStatus].map(([status, list]) => [status, json(errorBodySchema, `Error: ${list.join(', ')}`)]));
}

/** Which optional routes the app serves, so the document lists exactly those. */
export interface DocumentedRoutes {
  admin: boolean;
  metrics: boolean;
  /** /documents: listing; with `admin`, putting and deleting too. */
  documents?: boolean;
}

/** The document API: listing and reading always, putting and deleting with the admin token. */
function registerDocuments(registry: OpenAPIRegistry, admin: boolean): void {
  const indexErrors: ErrorCode[] = ['INDEX_NOT_READY', 'INDEX_INVALID', 'INDEX_MODEL_MISMATCH', 'DATABASE_UNAVAILABLE'];
  registry.registerPath({
    method: 'get',
    path: '/documents',
    operationId: 'listDocuments',
    tags: ['documents'],
    summary: 'The documents of the index in use, in path order, a page at a time',
    request: { query: documentListRequestSchema },
    responses: { 200: json(documentListSchema, 'A page of documents'), ...errors(['INVALID_REQUEST', ...indexErrors]) },
  });
  registry.registerPath({
    method: 'get',
    path: '/documents/{path}',
    operationId: 'getDocument',
    tags: ['documents'],
    summary: 'One document of the index: where it came from, its title, size, passages, when indexed',
    request: { params: documentReadPathSchema },
    responses: { 200: json(documentResponseSchema, 'The document'), ...errors(['DOCUMENT_NOT_FOUND', ...indexErrors]) },
  });
  if (!admin) return;
  const changeErrors: ErrorCode[] = [
    'UNAUTHORIZED',
    'RATE_LIMITED',
    'DOCUMENT_PATH_INVALID',
    'DOCUMENT_FROM_FOLDER',
    'BUILD_IN_PROGRESS',
    'INDEX_INVALID',
    'DATABASE_UNAVAILABLE',
    'INDEX_WRITE_FAILED',
  ];
  registry.registerPath({
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
      ...errors([...changeErrors, 'DOCUMENT_UNSUPPORTED', 'DOCUMENT_TOO_LARGE', 'DOCUMENT_EMPTY', 'DOCUMENT_UNREADABLE']),
    },
  });
  registry.registerPath({
    method: 'delete',
    path: '/documents/{path}',
    operationId: 'deleteDocument',
    tags: ['documents'],
    summary: 'Delete a document put over this API, every passage of it',
    security: [{ adminToken: [] }],
    request: { params: documentPathSchema },
    responses: { 200: json(documentDeletedSchema, 'Deleted: the version named is without it'), ...errors([...changeErrors, 'DOCUMENT_NOT_FOUND']) },
  });
}

/** The search routes: GET and POST, both names of the question accepted by each. */
function registerSearch(registry: OpenAPIRegistry, limits: AppLimits): void {
  const schemas = searchRequestSchemas(limits);
  const searchErrors: ErrorCode[] = [
    'INVALID_REQUEST',
    'RATE_LIMITED',
    'INDEX_NOT_READY',
    'INDEX_INVALID',
    'INDEX_MODEL_MISMATCH',
    'REQUEST_TIMEOUT',
    'OVERLOADED',
    'DATABASE_UNAVAILABLE',
    'DATABASE_SCHEMA_MISMATCH',
    'MODEL_OUTPUT_INVALID',
    'INTERNAL',
  ];
  registry.registerPath({
    method: 'get',
    path: '/search',
    operationId: 'searchGet',
    tags: ['search'],
    summary: 'Ranked passages answering a question',
    request: { query: schemas.get },
    responses: { 200: json(searchResponseSchema, 'Hits, best first'), ...errors(searchErrors) },
  });
  registry.registerPath({
    method: 'post',
    path: '/search',
    operationId: 'searchPost',
    tags: ['search'],
    summary: 'The same, with a JSON body',
    request: { body: { content: { 'application/json': { schema: schemas.post } } } },
    responses: {
      200: json(searchResponseSchema, 'Hits, best first'),
      ...errors([...searchErrors, 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE']),
    },
  });
}

/** Liveness, readiness, metrics and the admin route. */
function registerOperations(registry: OpenAPIRegistry, routes: DocumentedRoutes): void {
  registry.registerPath({
    method: 'get',
    path: '/health',
    operationId: 'health',
    tags: ['operations'],
    summary: 'Liveness: status, model, index version and rebuild state',
    responses: { 200: json(healthSchema, 'Always 200; `status` says whether an index is loaded') },
  });
  registry.registerPath({
    method: 'get',
    path: '/ready',
    operationId: 'ready',
    tags: ['operations'],
    summary: 'Readiness: 200 once an index is loaded, 503 until then',
    responses: {
      200: json(readySchema, 'Ready, with the build in use'),
      ...errors(['INDEX_NOT_READY', 'INDEX_INVALID', 'INDEX_MODEL_MISMATCH', 'DATABASE_UNAVAILABLE']),
    },
  });
  if (routes.metrics) {
    registry.registerPath({
      method: 'get',
      path: '/metrics',
      operationId: 'metrics',
      tags: ['operations'],
      summary: 'Prometheus metrics (text format)',
      responses: { 200: { description: 'Prometheus text exposition format' } },
    });
  }
  if (routes.admin) {
    registry.registerComponent('securitySchemes', 'adminToken', { type: 'http', scheme: 'bearer' });
    registry.registerPath({
      method: 'post',
      path: '/admin/reindex',
      operationId: 'reindex',
      tags: ['operations'],
      summary: 'Rebuild the index in the background and swap it in',
      security: [{ adminToken: [] }],
      responses: { 202: json(reindexResponseSchema, 'Rebuild asked for'), ...errors(['UNAUTHORIZED']) },
    });
  }
}

export function createOpenApiDocument(limits: AppLimits, routes: DocumentedRoutes) {
  const registry = new OpenAPIRegistry();
  registerSearch(registry, limits);
  registerOperations(registry, routes);
  if (routes.documents) registerDocuments(registry, routes.admin);
  const page = (path: string, operationId: string, summary: string, description = 'HTML page') =>
    registry.registerPath({ method: 'get', path, operationId, tags: ['pages'], summary, responses: { 200: { description } } });
  page('/', 'searchPage', 'The search page (HTML)');
  registry.registerPath({
    method: 'get',
    path: '/view',
    operationId: 'viewDocument',
    tags: ['pages'],
    summary: 'A document with one passage marked (HTML)',
    request: { query: viewRequestSchema },
    responses: { 200: { description: 'HTML page' }, ...errors(['INVALID_REQUEST', 'NOT_FOUND']) },
  });
  page('/openapi.json', 'openapi', 'This document', 'OpenAPI 3.1');
  page('/docs', 'docs', 'This document, for people (HTML)');
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'passage-search',
      version: '0.1.0',
      description: 'Semantic search over your own documents: ranked passages with the answering sentence marked.',
    },
  });
}
