import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
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

  it('checks settings against each other', () => {
    expect(() => loadConfig({}, { CHUNK_SENTENCES: '2', CHUNK_OVERLAP: '2' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => loadConfig({}, { SEARCH_DEFAULT_K: '20', SEARCH_MAX_K: '10' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('documents every key in .env.example', async () => {
    const { readFile } = await import('node:fs/promises');
    const example = await readFile('.env.example', 'utf8');
    const { configSchema } = await import('../src/config.js');
    for (const key of Object.keys(configSchema.shape)) expect(example).toMatch(new RegExp(`^#? ?${key}=`, 'm'));
  });
});
