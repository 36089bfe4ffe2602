// createMcpServer(deps) → an MCP server with this service's tools. It never connects: stdio.ts and http.ts connect it
// to a transport, and commands/ give it its dependencies.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerGetDocument } from './tools/get-document.js';
import { registerSearch } from './tools/search.js';
import { registerDeleteDocument, registerPutDocument, type DocumentWriter } from './tools/put-document.js';
import type { ToolDeps } from './tools/result.js';

export type { ToolDeps };

/** What the tools that change the index are given: the document API's changes. */
export interface McpAdminDeps {
  documents: DocumentWriter;
}

export interface McpDeps extends ToolDeps {
  /** The version the server reports to clients. */
  version?: string;
  /** Given: the tools that change the index are registered too (stdio: when ADMIN_TOKEN is set; HTTP: per request
   * that carries it). Absent: a client sees only the tools that read. */
  admin?: McpAdminDeps;
}

/** A tool: registers itself on a server, given what it needs. One file per tool under tools/. */
export type Tool<D> = (server: McpServer, deps: D) => void;

/** The tools every client may call: they read the index and change nothing. */
export const READ_TOOLS: ReadonlyArray<Tool<ToolDeps>> = [registerSearch, registerGetDocument];

/** The tools that change the index, registered only with `admin` deps. */
export const ADMIN_TOOLS: ReadonlyArray<Tool<McpAdminDeps>> = [
  (server, deps) => registerPutDocument(server, deps.documents),
  (server, deps) => registerDeleteDocument(server, deps.documents),
];

const INSTRUCTIONS =
  "Searches a folder of the user's documents for the passages that answer a question. Call `search` with the " +
  'question in plain language; hits marked confident are likely to answer, and when none is, no passage answers it: ' +
  "say so rather than guess. Call `get_document` with a hit's source, start and end to read the text around it.";

/** Builds the MCP server over `deps`; `adminTools` are the tools registered when `deps.admin` is given. */
export function createMcpServer(deps: McpDeps, adminTools: ReadonlyArray<Tool<McpAdminDeps>> = ADMIN_TOOLS): McpServer {
  const server = new McpServer({ name: 'passage-search', version: deps.version ?? '0.0.0' }, { instructions: INSTRUCTIONS });
  for (const register of READ_TOOLS) register(server, deps);
  if (deps.admin) for (const register of adminTools) register(server, deps.admin);
  return server;
}
