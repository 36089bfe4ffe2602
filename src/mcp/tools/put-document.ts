// The `put_document` and `delete_document` tools: the document API's changes, for a client holding the admin token.
// A document is given as text (Markdown, HTML, plain text) or as base64 bytes (PDF, Word); its path names it in the
// index, and its media type, or else the path's extension, says how it is read.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { documentDeletedSchema, documentResponseSchema } from '../../http/document-schemas.js';
import type { DocumentOutcome } from '../../http/routes/documents.js';
import { answered } from './result.js';

/** What the tools that change the index call. */
export interface DocumentWriter {
  put(source: string, bytes: Buffer, contentType?: string): Promise<DocumentOutcome>;
  remove(source: string): Promise<DocumentOutcome>;
}

const pathField = z.string().min(1).max(1024).meta({ description: "The document's path in the index, such as 'notes/harbour.md'." });

const putSchema = z
  .object({
    path: pathField,
    text: z.string().optional().meta({ description: 'The document as text (plain text, Markdown or HTML).' }),
    base64: z.string().optional().meta({ description: 'The document as base64-encoded bytes (PDF, Word .docx, or text in another encoding).' }),
    mediaType: z.string().optional().meta({ description: "Its media type (text/markdown, text/html, application/pdf…); the path's extension when absent." }),
  })
  .refine((v) => (v.text === undefined) !== (v.base64 === undefined), { message: 'give the document as `text` or as `base64`, one of them' });

export function registerPutDocument(server: McpServer, writer: DocumentWriter): void {
  server.registerTool(
    'put_document',
    {
      title: 'Add or replace a document',
      description:
        'Adds a document to the index, or replaces the one of that path: it is read, embedded and searchable once this returns, in the index version named.',
      inputSchema: putSchema,
      outputSchema: z.object(documentResponseSchema.shape),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    (args) =>
      answered({}, async () => {
        const bytes = args.text !== undefined ? Buffer.from(args.text, 'utf8') : Buffer.from(args.base64!, 'base64');
        if (args.base64 !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(args.base64.replace(/\s/g, ''))) {
          throw new AppError('INVALID_REQUEST', [{ path: 'base64', message: 'is not base64' }]);
        }
        const outcome = await writer.put(
          args.path,
          bytes,
          args.mediaType ?? (args.text !== undefined && !/\.(md|markdown|html?|xhtml|txt|text)$/i.test(args.path) ? 'text/plain' : undefined),
        );
        const result = { index: outcome.version, document: outcome.document!, changed: outcome.changed };
        const said = outcome.changed ? `Indexed ${result.document.passages} passage(s) of ${args.path}` : `${args.path} was already indexed with these bytes`;
        return { content: [{ type: 'text', text: `${said} (index version ${result.index}).` }], structuredContent: result };
      }),
  );
}

export function registerDeleteDocument(server: McpServer, writer: DocumentWriter): void {
  server.registerTool(
    'delete_document',
    {
      title: 'Delete a document',
      description: 'Deletes a document put over the document API (or by put_document) from the index, every passage of it.',
      inputSchema: z.object({ path: pathField }),
      outputSchema: z.object(documentDeletedSchema.shape),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    },
    (args) =>
      answered({}, async () => {
        const outcome = await writer.remove(args.path);
        return {
          content: [{ type: 'text', text: `Deleted ${args.path} (index version ${outcome.version}).` }],
          structuredContent: { index: outcome.version, deleted: args.path },
        };
      }),
  );
}
