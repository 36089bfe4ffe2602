// The stdio entry point: a server built by createMcpServer, connected to stdin and stdout, for an agent that starts
// this program as its child. Standard output carries the protocol and nothing else.
import type { Readable, Writable } from 'node:stream';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

export interface StdioConnection {
  /** Resolves when the client has gone: stdin ended or closed. */
  closed: Promise<void>;
  /** Disconnects the server; resolves once it is closed. */
  close(): Promise<void>;
}

/** Connects `server` to `stdin` and `stdout` (the process's by default). */
export async function serveStdio(server: McpServer, stdin: Readable = process.stdin, stdout: Writable = process.stdout): Promise<StdioConnection> {
  // The SDK's transport reads until told to stop; a client that goes away ends stdin, and that ends the server.
  const closed = new Promise<void>((resolve) => {
    stdin.once('end', resolve);
    stdin.once('close', resolve);
  });
  await server.connect(new StdioServerTransport(stdin, stdout));
  return { closed, close: () => server.close() };
}
