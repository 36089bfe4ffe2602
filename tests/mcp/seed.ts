// The seed index for the MCP tests: the real article, indexed by the real CLI with the default settings, into a
// temporary folder; and an MCP client connected to a server in this process.
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { MODELS_DIR } from '../helpers/real.js';
import { runBuild } from '../helpers/server.js';

/** Builds the index of corpus/ (the seed article) under `root`; returns the environment that names it. */
export async function buildSeed(root: string): Promise<{ CORPUS_DIR: string; INDEX_DIR: string; MODELS_DIR: string }> {
  const env = { CORPUS_DIR: path.resolve('corpus'), INDEX_DIR: path.join(root, 'index'), MODELS_DIR };
  await runBuild(env);
  return env;
}

/** A client connected to `server` through the SDK's linked in-memory transports. */
export async function connectInProcess(server: McpServer): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'passage-search-tests', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

/** The text of a tool result's first content item. */
export function textOf(result: object): string {
  const [first] = ((result as { content?: unknown }).content ?? []) as Array<{ type: string; text?: string }>;
  return first?.type === 'text' ? first.text! : '';
}

/** The error body a tool error carries as its text. */
export function errorOf(result: object): { code: string; message: string; issues?: { path: string; message: string }[] } {
  if (!(result as { isError?: boolean }).isError) throw new Error(`not a tool error: ${textOf(result).slice(0, 200)}`);
  return JSON.parse(textOf(result)).error;
}
