// `passage-search mcp` as an agent runs it: the CLI started by the SDK's stdio client, the protocol alone on stdout,
// the log on stderr, and the process gone once the client closes its stdin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { cliArguments, ROOT } from '../../src/live/processes.js';
import { KABUL_ANSWER, KABUL_QUESTION, removeDir, tempDir } from '../helpers/real.js';
import { waitFor } from '../helpers/server.js';
import { buildSeed, textOf } from './seed.js';

describe('the stdio server', () => {
  let root: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    root = await tempDir();
    env = await buildSeed(root);
  });
  afterAll(() => removeDir(root));

  it('answers the Kabul question with nothing but the protocol on stdout, and ends when the client closes', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [...cliArguments(true), 'mcp'], env, cwd: ROOT, stderr: 'pipe' });
    let log = '';
    transport.stderr!.on('data', (d) => (log += d));
    const client = new Client({ name: 'passage-search-tests', version: '1.0.0' });
    // A line on stdout that is not a protocol message is reported here.
    const errors: Error[] = [];
    client.onerror = (err) => errors.push(err);
    await client.connect(transport);
    expect(client.getServerVersion()?.name).toBe('passage-search');
    expect(client.getInstructions()).toMatch(/get_document/);

    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['search', 'get_document']);
    const result = await client.callTool({ name: 'search', arguments: { query: KABUL_QUESTION, k: 3 } });
    const body = result.structuredContent as { hits: Array<{ highlight: { text: string }; source: string; start: number; end: number }> };
    expect(body.hits[0].highlight.text).toContain(KABUL_ANSWER);
    expect(textOf(result)).toMatch(/^1\. .*us-pakistan-afghanistan\.txt\), characters \d+-\d+, score \d\.\d{3}\n/m);
    const { source, start, end } = body.hits[0];
    const doc = await client.callTool({ name: 'get_document', arguments: { source, start, end } });
    expect(textOf(doc)).toContain(`<mark>Next, the averseness`);
    expect(errors).toEqual([]);
    expect(log).toContain('"event":"mcp.listening"');

    const pid = transport.pid!;
    await client.close();
    // The server stops on its own once stdin ends (the client would kill it after two seconds otherwise).
    await waitFor(async () => (log.includes('"event":"mcp.stopping"') ? true : undefined), 'the server to stop');
    expect(log).toMatch(/"event":"mcp\.stopping","reason":"stdin closed"/);
    await waitFor(async () => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    }, 'the process to exit');
  });
});
