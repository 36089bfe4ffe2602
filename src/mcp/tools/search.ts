// The `search` tool: a question in, ranked passages out, as GET /search answers it. Its arguments are the HTTP API's
// request schema (with `query` the one name of the question), its structured result is the API's response body.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { placeOf } from '../../http/pages.js';
import { withDeadline } from '../../http/request.js';
import { searchOptionsOf, searchRequestSchemas, searchResponseSchema, type AppLimits } from '../../http/schemas.js';
import { search, type SearchHit } from '../../search/search.js';
import { answered, type ToolDeps } from './result.js';

type SearchResponse = z.infer<typeof searchResponseSchema>;

/**
 * The tool's arguments: POST /search's body schema, its fields as they are (so every rule and message is the API's),
 * `query` required and its alias `q` left out. The rules across fields (groupSize needs groupBy) are checked by the
 * API's schema itself, once each field has passed.
 */
export function searchArguments(limits: AppLimits) {
  const request = searchRequestSchemas(limits).post;
  const { q: _alias, query, ...fields } = request.shape;
  return z.strictObject({ query: query.unwrap(), ...fields }).superRefine(
    (value, ctx) => {
      const checked = request.safeParse(value);
      for (const issue of checked.error?.issues ?? []) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    },
    { when: (payload) => payload.issues.length === 0 },
  );
}

/** One hit as text: where it is, its score and whether it is likely to answer; then the passage, answer in [brackets]. */
function hitAsText(h: SearchHit, rank: number): string {
  const place = placeOf(h);
  const where = `${place ? `${place} (${h.source})` : h.source}, characters ${h.start}-${h.end}`;
  const text = h.text.slice(0, h.highlight.start) + `[${h.highlight.text}]` + h.text.slice(h.highlight.end);
  return `${rank}. ${where}, score ${h.score.toFixed(3)}${h.confident ? '' : ', weak match'}\n   ${text.replace(/\s+/g, ' ')}`;
}

/** The response as an agent reads it: how many hits answer, then each hit, best first. */
export function responseAsText(response: SearchResponse, offset = 0): string {
  const { hits } = response;
  if (!hits.length) return 'No passage matches.';
  const answers = hits.filter((h) => h.confident).length;
  const head = answers
    ? `${answers} of ${hits.length} ${hits.length === 1 ? 'passage' : 'passages'} likely ${answers === 1 ? 'answers' : 'answer'} (score above ${response.threshold.toFixed(3)}), best first:`
    : `No passage answers this question (none scores above ${response.threshold.toFixed(3)}); the closest, as weaker matches:`;
  const lines = hits.map((h, i) => hitAsText(h, offset + i + 1));
  return `${head}\n\n${lines.join('\n\n')}\n\nRead around a passage with get_document, given its source, start and end.`;
}

export function registerSearch(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'search',
    {
      title: 'Search the documents',
      description:
        'Ranked passages of the indexed documents that answer a question in plain language, each with its answering ' +
        'sentence, its place (title, page, section) and `confident`: whether it is likely to answer. No confident hit ' +
        'means no passage answers the question.',
      inputSchema: searchArguments(deps.limits),
      outputSchema: z.object(searchResponseSchema.shape),
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    (args) =>
      answered(deps, async () => {
        const started = performance.now();
        const engine = deps.engine();
        const { query, ...options } = searchOptionsOf(args);
        const result = await withDeadline(deps.timeoutMs ?? 0, (signal) => search(engine, query, { ...options, signal }));
        const response: SearchResponse = {
          query,
          hits: result.hits,
          threshold: Number(result.threshold.toFixed(6)),
          // Which build answered: every hit of one response comes from this one build.
          index: engine.reader.name,
          tookMs: Number((performance.now() - started).toFixed(2)),
        };
        return { content: [{ type: 'text', text: responseAsText(response, options.offset) }], structuredContent: response };
      }),
  );
}
