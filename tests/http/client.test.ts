// The OpenAPI document is good enough to generate a typed client from: openapi-typescript-codegen makes one, and a
// call written against it compiles under the project's compiler, while a call with a wrong type does not.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generate } from 'openapi-typescript-codegen';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { createApp } from '../../src/http/app.js';
import { createMetrics } from '../../src/http/metrics.js';
import { removeDir, tempDir } from '../helpers/real.js';

const TSC = path.resolve('node_modules/typescript/bin/tsc');

describe('a client generated from /openapi.json', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    const app = createApp({
      engine: () => {
        throw new AppError('INDEX_NOT_READY', 'index');
      },
      health: () => ({}),
      limits: { maxQueryChars: 100, defaultK: 5, maxK: 50, maxBodyBytes: 1024 },
      admin: { token: 'a-token-of-sixteen-chars', reindex: () => ({}) },
      metrics: createMetrics({ index: () => null }),
    });
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { operationId?: string; tags?: string[] }>> };
    for (const [route, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        expect(op.operationId, `${method} ${route}`).toMatch(/^\w+$/);
        expect(op.tags?.length, `${method} ${route}`).toBe(1);
      }
    }
    await writeFile(path.join(dir, 'openapi.json'), JSON.stringify(doc));
    await generate({ input: path.join(dir, 'openapi.json'), output: path.join(dir, 'client'), httpClient: 'fetch', useOptions: true });
    await writeFile(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          lib: ['ES2022', 'DOM'],
          skipLibCheck: true,
        },
        include: ['*.ts', 'client/**/*.ts'],
      }),
    );
  });
  afterAll(() => removeDir(dir));

  const compile = async (code: string) => {
    await writeFile(path.join(dir, 'call.ts'), code);
    try {
      execFileSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8' });
      return '';
    } catch (err) {
      return String((err as { stdout?: string }).stdout);
    }
  };

  it('types a search, its hits and its answering sentence', async () => {
    const errors = await compile(`import { OpenAPI, SearchService, OperationsService } from './client';
OpenAPI.BASE = 'http://127.0.0.1:3000';
export async function ask(): Promise<string> {
  const res = await SearchService.searchGet({ q: 'why does Pakistan want a broad-based Kabul government', k: 3, minScore: 0.3 });
  const posted = await SearchService.searchPost({ requestBody: { query: 'and again', k: 2 } });
  const ready = await OperationsService.ready();
  return res.hits[0].highlight.text + posted.index + ready.build;
}
`);
    expect(errors).toBe('');
  });

  it('refuses a call with a wrong type', async () => {
    const errors = await compile(`import { SearchService } from './client';
export const bad = SearchService.searchGet({ q: 'why', k: 'three' });
`);
    expect(errors).toMatch(/call\.ts.*error TS2322/);
  });
});
