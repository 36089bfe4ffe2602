// The `source` filter: a glob over the indexed documents' paths, resolved to the documents it names. A pattern
// without a slash matches a file name in any folder (`*.pdf`), as in .gitignore; `reports/**` a folder's whole tree.
import { AppError } from '../errors.js';
import { compileGlob } from './glob.js';

/** Longest pattern taken: a huge one is no filter anyone means. */
export const MAX_PATTERN_LENGTH = 500;

/** The sources among `documents` that `pattern` matches (possibly none). Throws INVALID_REQUEST for a bad pattern. */
export function matchSources(documents: { source: string }[], pattern: string): Set<string> {
  let isMatch: (path: string) => boolean;
  try {
    if (pattern.length > MAX_PATTERN_LENGTH) throw new Error(`longer than ${MAX_PATTERN_LENGTH} characters`);
    // Matched in time linear in the path (glob.ts), so no pattern can hold the event loop.
    isMatch = compileGlob(pattern, { basename: !pattern.includes('/') });
  } catch (err) {
    throw new AppError('INVALID_REQUEST', [{ path: 'source', message: `not a usable glob: ${(err as Error).message}` }]);
  }
  return new Set(documents.map((d) => d.source).filter((source) => isMatch(source)));
}
