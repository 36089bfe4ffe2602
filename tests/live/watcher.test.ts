// The corpus watcher: edits ask for a rebuild; an error of the watcher is kept for /health, never thrown.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { watchCorpus, type FolderWatcher } from '../../src/live/watcher.js';

/** A folder watcher driven by the test: it emits what chokidar would. */
function fakeFolder(): FolderWatcher & EventEmitter {
  const emitter = new EventEmitter();
  return Object.assign(emitter, { close: async () => undefined }) as unknown as FolderWatcher & EventEmitter;
}

describe('watchCorpus', () => {
  it('asks for a rebuild on each event, naming the file', () => {
    const folder = fakeFolder();
    const asked: string[] = [];
    watchCorpus('/corpus', { request: (reason) => asked.push(reason) }, { watchFolder: () => folder });
    folder.emit('all', 'change', '/corpus/notes/a.txt');
    folder.emit('all', 'unlink', '/corpus/b.md');
    expect(asked).toEqual(['change notes/a.txt', 'unlink b.md']);
  });

  it('keeps an error of the watcher and logs it, without throwing', () => {
    const folder = fakeFolder();
    const logged: unknown[] = [];
    const watcher = watchCorpus(
      '/corpus',
      { request: () => undefined },
      { watchFolder: () => folder, log: (event, fields) => logged.push({ event, ...fields }) },
    );
    expect(watcher.lastError()).toBeNull();
    // An EventEmitter with no 'error' listener throws what it emits: this one must not.
    expect(() => folder.emit('error', new Error('ENOSPC: System limit for number of file watchers reached'))).not.toThrow();
    expect(watcher.lastError()).toMatchObject({ message: 'ENOSPC: System limit for number of file watchers reached' });
    expect(logged).toEqual([expect.objectContaining({ event: 'watch.error', message: 'ENOSPC: System limit for number of file watchers reached' })]);
  });
});
