// The document API's requests and answers, as zod schemas: what validates them and what the OpenAPI document shows.
import { z } from 'zod';

/** The most documents one page of GET /documents lists. */
export const MAX_PAGE = 1000;

export const documentEntrySchema = z
  .object({
    source: z.string().meta({ description: "The document's path: relative to the corpus folder, or as it was put over the API." }),
    origin: z.enum(['folder', 'api']).meta({ description: "`folder`: the corpus folder's build manages it; `api`: put over this API, kept by the index." }),
    format: z.enum(['text', 'markdown', 'html', 'pdf', 'docx']),
    sha256: z.string().meta({ description: 'SHA-256 of the bytes its text was read from.' }),
    bytes: z.number().int().meta({ description: 'Size of those bytes.' }),
    chars: z.number().int().meta({ description: 'Length of its extracted text.' }),
    title: z.string().optional(),
    passages: z.number().int(),
    indexedAt: z.string().meta({ description: 'When this text of it was indexed (ISO 8601).' }),
  })
  .meta({ id: 'Document' });

export type DocumentEntry = z.infer<typeof documentEntrySchema>;

export const documentListRequestSchema = z
  .strictObject({
    offset: z.coerce.number().int().min(0).default(0).meta({ description: 'Documents to pass over, in path order.' }),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_PAGE)
      .default(100)
      .meta({ description: `Documents to list, at most ${MAX_PAGE}.` }),
    origin: z.enum(['folder', 'api']).optional().meta({ description: 'Only the documents of this origin.' }),
  })
  .meta({ id: 'DocumentListRequest' });

export const documentListSchema = z
  .object({
    index: z.string().meta({ description: 'The index version listed.' }),
    total: z.number().int().meta({ description: 'Documents matching, before paging.' }),
    offset: z.number().int(),
    limit: z.number().int(),
    documents: z.array(documentEntrySchema),
  })
  .meta({ id: 'DocumentList' });

export const documentResponseSchema = z
  .object({
    index: z.string().meta({ description: 'The index version that holds the document as shown (after a change: the version that holds it).' }),
    document: documentEntrySchema,
    changed: z.boolean().optional().meta({ description: 'After PUT: false when the same bytes were already indexed (nothing was done).' }),
  })
  .meta({ id: 'DocumentResponse' });

export const documentDeletedSchema = z
  .object({ index: z.string().meta({ description: 'The index version without the document.' }), deleted: z.string() })
  .meta({ id: 'DocumentDeleted' });

/** The path of a document to read: the default corpus's article, so that the example answers as it stands. */
export const documentReadPathSchema = z.object({
  path: z.string().meta({ description: "The document's path, its slashes kept (`reports/q3.pdf`).", example: 'us-pakistan-afghanistan.txt' }),
});

export const documentPathSchema = z.object({
  path: z.string().meta({ description: "The document's path, its slashes kept (`reports/q3.pdf`).", example: 'notes/harbour.md' }),
});
