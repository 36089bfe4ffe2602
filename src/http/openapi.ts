// The OpenAPI 3 document, made from the descriptions each route module keeps beside its handlers (described.ts): the
// request schemas it lists are the ones the handlers check with, and it lists exactly the routes the app serves.
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';

/** The document of the routes described by `specs`, in their order. */
export function createOpenApiDocument(specs: RouteConfig[]) {
  const registry = new OpenAPIRegistry();
  if (specs.some((s) => s.security?.some((scheme) => 'adminToken' in scheme))) {
    registry.registerComponent('securitySchemes', 'adminToken', { type: 'http', scheme: 'bearer' });
  }
  for (const spec of specs) registry.registerPath(spec);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'passage-search',
      version: '0.1.0',
      description: 'Semantic search over your own documents: ranked passages with the answering sentence marked.',
    },
  });
}
