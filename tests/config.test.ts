import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, operatorSettings, rankingSettings, settingsGiven } from '../src/config.js';
import { AppError } from '../src/errors.js';

describe('loadConfig', () => {
  it('has working defaults with an empty environment', () => {
    const c = loadConfig({}, {});
    expect(c).toMatchObject({ PORT: 3000, CORPUS_DIR: 'corpus', INDEX_DIR: 'index', EMBED_MODEL: 'use-lite', SEARCH_DEFAULT_K: 5, SEARCH_MAX_K: 50 });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads the environment and lets flags override it', () => {
    const c = loadConfig({ PORT: 4000 }, { PORT: '3001', CORPUS_DIR: '/data', ALLOW_REMOTE_MODELS: 'false' });
    expect(c.PORT).toBe(4000);
    expect(c.CORPUS_DIR).toBe('/data');
    expect(c.ALLOW_REMOTE_MODELS).toBe(false);
  });

  it('takes an IP address or a host name for HOST, and refuses what is neither', () => {
    for (const host of ['127.0.0.1', '0.0.0.0', '::1', '::', 'localhost', 'search.internal']) expect(loadConfig({}, { HOST: host }).HOST).toBe(host);
    for (const host of ['999.1.1.1', '1.2.3', 'a host', 'http://x'])
      expect(() => loadConfig({}, { HOST: host }), host).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it("takes a parent process's whole configuration as one JSON value, over its own environment", () => {
    const saved = process.env.PASSAGE_SEARCH_CONFIG;
    try {
      process.env.PASSAGE_SEARCH_CONFIG = JSON.stringify(loadConfig({}, { PORT: '4321', WATCH: 'true' }));
      const given = settingsGiven();
      expect(loadConfig({}, given).PORT).toBe(4321);
      expect(loadConfig({}, given).WATCH).toBe(true);
      process.env.PASSAGE_SEARCH_CONFIG = '{not json';
      expect(() => settingsGiven()).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    } finally {
      if (saved === undefined) delete process.env.PASSAGE_SEARCH_CONFIG;
      else process.env.PASSAGE_SEARCH_CONFIG = saved;
    }
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({}, { PORT: '' }).PORT).toBe(3000);
  });

  it('reports every bad key with CONFIG_INVALID', () => {
    try {
      loadConfig({}, { PORT: 'eighty', SEARCH_MAX_K: '0' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('CONFIG_INVALID');
      expect((err as AppError).issues!.map((i) => i.path).sort()).toEqual(['PORT', 'SEARCH_MAX_K']);
    }
  });

  it('takes a postgres URL as DATABASE_URL, and refuses anything else without echoing it', () => {
    expect(loadConfig({}, { DATABASE_URL: 'postgres://u:p@db.internal:5432/search' }).DATABASE_URL).toBe('postgres://u:p@db.internal:5432/search');
    expect(loadConfig({}, {}).DATABASE_URL).toBeUndefined();
    for (const bad of ['mysql://u:hunter2-pw@h/db', 'postgres://', 'hunter2-pw']) {
      try {
        loadConfig({}, { DATABASE_URL: bad });
        expect.unreachable();
      } catch (err) {
        expect((err as AppError).code).toBe('CONFIG_INVALID');
        expect((err as AppError).issues!.map((i) => i.path)).toEqual(['DATABASE_URL']);
        expect((err as AppError).message).not.toContain('hunter2');
      }
    }
  });

  it('checks settings against each other', () => {
    expect(() => loadConfig({}, { CHUNK_WORDS: '40', CHUNK_OVERLAP: '40' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => loadConfig({}, { SEARCH_DEFAULT_K: '20', SEARCH_MAX_K: '10' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it("lists the operator's settings in .env.example, and the ranking profile's in docs/usage.md only", async () => {
    const { readFile } = await import('node:fs/promises');
    const example = await readFile('.env.example', 'utf8');
    const readme = await readFile('docs/usage.md', 'utf8');
    for (const key of Object.keys(operatorSettings)) expect(example).toMatch(new RegExp(`^#? ?${key}=`, 'm'));
    for (const key of Object.keys(rankingSettings)) {
      expect(example).not.toContain(key);
      expect(readme).toContain(`\`${key}\``);
    }
  });
});

describe('the ranking profile', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'ps-profile-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  const profile = async (name: string, content: string) => {
    const file = path.join(root, name);
    await writeFile(file, content);
    return file;
  };

  it("sets ranking settings from its file, under the environment's", async () => {
    const file = await profile('p.json', JSON.stringify({ FUSION_KEYWORD_MIN: 0, FUSION_KEYWORD_MAX: 0.5, SEARCH_DEDUP: false, CHUNK_WORDS: 120 }));
    const c = loadConfig({}, { RANKING_PROFILE: file, FUSION_KEYWORD_MAX: '0.7' });
    expect(c).toMatchObject({ FUSION_KEYWORD_MIN: 0, FUSION_KEYWORD_MAX: 0.7, SEARCH_DEDUP: false, CHUNK_WORDS: 120, BM25_K1: 1.5 });
  });

  it('refuses a file that is missing, not JSON, names an operator setting or a typo, or holds a bad value', async () => {
    const cases = [
      path.join(root, 'nope.json'),
      await profile('bad.json', '{ not json'),
      await profile('operator.json', JSON.stringify({ PORT: 80 })),
      await profile('typo.json', JSON.stringify({ FUSION_KEYWORD_MINN: 0.1 })),
      await profile('range.json', JSON.stringify({ BM25_B: 3 })),
    ];
    for (const file of cases) {
      expect(() => loadConfig({}, { RANKING_PROFILE: file })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
    try {
      loadConfig({}, { RANKING_PROFILE: cases[3] });
    } catch (err) {
      expect((err as AppError).message).toContain(cases[3]);
    }
  });
});
