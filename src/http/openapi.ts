// The OpenAPI 3 document, generated from the zod schemas that validate the requests (schemas.ts).
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import { ERRORS, type ErrorCode } from '../errors.js';
import { errorBodySchema, healthSchema, reindexResponseSchema, searchRequestSchemas, searchResponseSchema, viewRequestSchema, type AppLimits } from './schemas.js';

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });

/** The error responses a route can give, grouped by status, each listing its codes. */
function errors(codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERRORS[code].status, [...(byStatus.get(ERRORS[code].status) ?? []), code]);
  return Object.fromEntries([...byStatus].map(([status, list]) => [status, json(errorBodySchema, `Error: ${list.join(', ')}`)]));
}

export function createOpenApiDocument(limits: AppLimits, admin: boolean) {
  const registry = new OpenAPIRegistry();
  const schemas = searchRequestSchemas(limits);
  const searchErrors: ErrorCode[] = ['INVALID_REQUEST', 'INDEX_NOT_READY', 'INDEX_INVALID', 'INDEX_MODEL_MISMATCH', 'REQUEST_TIMEOUT', 'OVERLOADED', 'DATABASE_UNAVAILABLE', 'DATABASE_SCHEMA_MISMATCH', 'MODEL_OUTPUT_INVALID', 'INTERNAL'];
  registry.registerPath({
    method: 'get',
    path: '/search',
    summary: 'Ranked passages answering a question',
    request: { query: schemas.get },
    responses: { 200: json(searchResponseSchema, 'Hits, best first'), ...errors(searchErrors) },
  });
  registry.registerPath({
    method: 'post',
    path: '/search',
    summary: 'The same, with a JSON body',
    request: { body: { content: { 'application/json': { schema: schemas.post } } } },
    responses: {
      200: json(searchResponseSchema, 'Hits, best first'),
      ...errors([...searchErrors, 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE']),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/health',
    summary: 'Status, model, index version and rebuild state',
    responses: { 200: json(healthSchema, 'Always 200; `status` says whether an index is loaded') },
  });
  if (admin) {
    registry.registerComponent('securitySchemes', 'adminToken', { type: 'http', scheme: 'bearer' });
    registry.registerPath({
      method: 'post',
      path: '/admin/reindex',
      summary: 'Rebuild the index in the background and swap it in',
      security: [{ adminToken: [] }],
      responses: { 202: json(reindexResponseSchema, 'Rebuild asked for'), ...errors(['UNAUTHORIZED']) },
    });
  }
  registry.registerPath({ method: 'get', path: '/', summary: 'The search page (HTML)', responses: { 200: { description: 'HTML page' } } });
  registry.registerPath({
    method: 'get',
    path: '/view',
    summary: 'A document with one passage marked (HTML)',
    request: { query: viewRequestSchema },
    responses: { 200: { description: 'HTML page' }, ...errors(['INVALID_REQUEST', 'NOT_FOUND']) },
  });
  registry.registerPath({ method: 'get', path: '/openapi.json', summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } });
  registry.registerPath({ method: 'get', path: '/docs', summary: 'This document, for people (HTML)', responses: { 200: { description: 'HTML page' } } });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'passage-search',
      version: '0.1.0',
      description: 'Semantic search over your own documents: ranked passages with the answering sentence marked.',
    },
  });
}
