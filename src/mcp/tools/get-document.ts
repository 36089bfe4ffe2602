// The `get_document` tool: a document's text around a passage, as GET /view shows it: the same arguments, the same
// window around the passage, the same title and page.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { documentView } from '../../http/pages.js';
import { viewRequestSchema } from '../../http/schemas.js';
import { answered, type ToolDeps } from './result.js';

const offset = (what: string) => z.number().int().min(0).meta({ description: what });

export const documentSchema = z.object({
  source: z.string().meta({ description: 'The document, relative to the corpus folder.' }),
  title: z.string().optional().meta({ description: "The document's title, where it has one." }),
  page: z.number().int().min(1).optional().meta({ description: 'The page the passage starts on (PDF), from 1.' }),
  pages: z.number().int().min(1).optional().meta({ description: 'How many pages the document has (PDF).' }),
  length: offset("The length of the document's extracted text, in characters."),
  from: offset('Where `text` starts in the document.'),
  to: offset('Where `text` ends in the document.'),
  start: offset('Where the passage starts in the document (kept within it).'),
  end: offset('Where the passage ends in the document.'),
  text: z.string().meta({ description: 'The document from `from` to `to`: the passage and the text around it.' }),
});

type DocumentResult = z.infer<typeof documentSchema>;

/** The result as an agent reads it: the heading /view shows, then the text with the passage between <mark> tags. */
export function documentAsText(d: DocumentResult): string {
  const where = [d.title ? d.source : '', d.pages ? `page ${d.page} of ${d.pages}` : ''].filter(Boolean).join(' · ');
  const at = (i: number) => i - d.from;
  const text = `${d.text.slice(0, at(d.start))}<mark>${d.text.slice(at(d.start), at(d.end))}</mark>${d.text.slice(at(d.end))}`;
  return [
    `# ${d.title ?? d.source}`,
    where,
    d.from > 0 ? `… ${d.from.toLocaleString('en')} characters before` : '',
    text,
    d.to < d.length ? `… ${(d.length - d.to).toLocaleString('en')} characters after` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

export function registerGetDocument(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'get_document',
    {
      title: 'Read around a passage',
      description:
        "A document's text around a passage, as a hit of `search` names it (source, start, end): the passage marked, " +
        "with the document's title and the page it is on.",
      inputSchema: viewRequestSchema,
      outputSchema: documentSchema,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    (args) =>
      answered(deps, async () => {
        // With no index loaded, the reason (INDEX_NOT_READY…) rather than NOT_FOUND.
        deps.engine();
        const doc = await deps.readDocument(args.source);
        if (!doc) throw new AppError('DOCUMENT_NOT_FOUND', JSON.stringify(args.source));
        const view = documentView(doc, args.start, args.end);
        const result: DocumentResult = {
          source: args.source,
          ...(doc.title ? { title: doc.title } : {}),
          ...(doc.pages?.length ? { page: view.page, pages: doc.pages.length } : {}),
          length: doc.text.length,
          from: view.from,
          to: view.to,
          start: view.start,
          end: view.end,
          text: doc.text.slice(view.from, view.to),
        };
        return { content: [{ type: 'text', text: documentAsText(result) }], structuredContent: result };
      }),
  );
}
