// Property-based tests: whatever arrives at the API, the answer is a 2xx or a documented 4xx with one JSON error
// body, never a 5xx, a hang or a stack trace.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/errors.js';
import { errorBodySchema, searchResponseSchema } from '../../src/http/schemas.js';
import type { createApp } from '../../src/http/app.js';
import { ADMIN_TOKEN, realApp, removeDir, tempDir } from '../helpers/real.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const limits = { maxQueryChars: 300, defaultK: 5, maxK: 50, maxBodyBytes: 2048 };
let tried = 0;

describe('fuzzing the API', () => {
  let root: string;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    root = await tempDir();
    ({ app } = await realApp(
      root,
      { 'a.txt': 'Ferries stop in January when the harbour freezes.\n\nThe lighthouse keeper gives tours.' },
      {
        limits,
        onInternalError: (err) => {
          throw new Error(`internal error reached the handler: ${String(err)}`);
        },
      },
    ));
  });
  afterAll(async () => {
    await removeDir(root);
    // The figure the README reports.
    console.log(`fuzzing tried ${tried} requests`);
  });

  /** Checks one response against the contract and returns its status. */
  async function check(res: Response): Promise<number> {
    tried++;
    const text = await res.text();
    expect(res.status).toBeLessThan(500);
    expect(text).not.toMatch(/\bat .+:\d+:\d+\)?/); // no stack frames
    const body = JSON.parse(text);
    if (res.status >= 400) {
      expect(errorBodySchema.safeParse(body).success).toBe(true);
      expect(ERRORS[body.error.code as keyof typeof ERRORS].status).toBe(res.status);
    } else if (body.hits) {
      expect(searchResponseSchema.safeParse(body).success).toBe(true);
    }
    return res.status;
  }

  const anyText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 400 }),
    fc.string({ unit: 'grapheme', maxLength: 60 }),
    fc.constantFrom('', ' ', '\u0000', '\u202e', '%', '%%', '%zz', '😀', 'a'.repeat(301), '__proto__', 'constructor', 'NaN', '1e309', '-0', '[]', '{}'),
  );
  const anyValue = fc.oneof(
    anyText,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
  );

  it('GET /search with random parameters, repeated keys and raw query strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('q', 'k', 'minScore', 'x', 'Q', ''), anyText), { maxLength: 5 }), async (pairs) => {
        const qs = pairs.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&');
        const status = await check(await app.request(`/search?${qs}`));
        expect([200, 400]).toContain(status);
      }),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), async (raw) => {
        let url: string;
        try {
          url = new URL(`http://x/search?${raw}`).pathname + new URL(`http://x/search?${raw}`).search;
        } catch {
          return;
        }
        await check(await app.request(url));
      }),
      { numRuns: RUNS },
    );
  });

  it('POST /search with random JSON, broken JSON, wrong types and content types', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.record({ query: anyValue, k: anyValue, minScore: anyValue }, { requiredKeys: [] }), fc.dictionary(fc.string(), anyValue), anyValue),
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', ''),
        fc.boolean(),
        async (value, type, breakIt) => {
          let body = JSON.stringify(value) ?? 'undefined';
          if (breakIt) body = body.slice(0, Math.max(0, body.length - 1));
          const status = await check(await app.request('/search', { method: 'POST', body, headers: type ? { 'content-type': type } : {} }));
          expect([200, 400, 413, 415]).toContain(status);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('oversized bodies and queries', async () => {
    for (const size of [2049, 10_000, 1_000_000]) {
      const status = await check(
        await app.request('/search', { method: 'POST', body: JSON.stringify({ query: 'x'.repeat(size) }), headers: { 'content-type': 'application/json' } }),
      );
      expect(status).toBe(413);
    }
    expect(await check(await app.request(`/search?q=${'x'.repeat(100_000)}`))).toBe(400);
  });

  it('/admin/* with random methods and authorization headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        fc.oneof(
          anyText.map((t) => t.replace(/[^\x20-\x7e]/g, '')),
          fc.constant(`Bearer ${ADMIN_TOKEN}`),
        ),
        fc.constantFrom('/admin/reindex', '/admin/', '/admin/x'),
        async (method, auth, path) => {
          const status = await check(await app.request(path, { method, headers: auth ? { authorization: auth } : {} }));
          // 429 once one client has sent enough wrong tokens: failed attempts are throttled.
          expect([202, 401, 404, 405, 429]).toContain(status);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('/view with random parameters', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, anyText, anyText, async (source, start, end) => {
        const qs = new URLSearchParams({ source, start, end });
        const res = await app.request(`/view?${qs}`);
        tried++;
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expect(errorBodySchema.safeParse(await res.json()).success).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
