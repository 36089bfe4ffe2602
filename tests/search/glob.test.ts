// The glob matcher against picomatch (the usual JavaScript glob library, as the reference) on random patterns and
// paths of the dialect both share, and on what only it must do: stay linear on patterns that make regular
// expressions backtrack.
import fc from 'fast-check';
import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { compileGlob, expandBraces, MAX_ALTERNATIVES } from '../../src/search/glob.js';
import { matchSources } from '../../src/search/sources.js';

// Corpus paths have no `.` or `..` segment.
const segment = fc
  .array(fc.constantFrom('a', 'b', '.', 'ab'), { minLength: 1, maxLength: 4 })
  .map((p) => p.join(''))
  .filter((s) => !/^\.+$/.test(s));
const paths = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
// Patterns of the dialect both read alike: segments of atoms, and `**` as a whole segment. Left out are picomatch's
// own readings of odd corners (`***`, `**` twice in a row, `**` against a brace, `*/**` against the folder itself).
const atom = fc.constantFrom('a', 'b', '.', '*', '?', '[ab]', '[a-b]', '{a,b}', '{a,b*}');
const patternSegment = fc.oneof(
  fc.constant('**'),
  fc
    .array(atom, { minLength: 1, maxLength: 3 })
    .map((a) => a.join(''))
    // picomatch's trailing `*` after a dot wants a character (`*.*` misses `a.`); a star here, as in fnmatch, does not.
    .filter((x) => !x.includes('**') && !/^\.+$/.test(x) && !/\.\*$/.test(x)),
);
const patterns = fc
  .array(patternSegment, { minLength: 1, maxLength: 4 })
  .filter((segs) => segs.every((x, i) => !(x === '**' && segs[i + 1] === '**')))
  .filter((segs) => !(segs.length > 1 && segs.at(-1) === '**' && /[*?[{]/.test(segs.at(-2)!)))
  .map((segs) => segs.join('/'));

describe('glob matching', () => {
  it('agrees with picomatch on the shared dialect, with and without basename', () => {
    fc.assert(
      fc.property(patterns, fc.array(paths, { minLength: 1, maxLength: 8 }), fc.boolean(), (pattern, subjects, basename) => {
        // As the search does: a path is matched by its file name only when the pattern has no slash.
        const byName = basename && !pattern.includes('/');
        const reference = picomatch(pattern, { dot: true, basename: byName });
        const mine = compileGlob(pattern, { basename: byName });
        for (const p of subjects) expect([pattern, p, mine(p)]).toEqual([pattern, p, reference(p)]);
      }),
      { numRuns: 3000 },
    );
  });

  it('matches the cases the search page documents', () => {
    const yes = (pattern: string, p: string) => expect([pattern, p, compileGlob(pattern)(p)]).toEqual([pattern, p, true]);
    const no = (pattern: string, p: string) => expect([pattern, p, compileGlob(pattern)(p)]).toEqual([pattern, p, false]);
    yes('reports/**', 'reports');
    yes('reports/**', 'reports/2024/q1.pdf');
    no('reports/**', 'reportsX/a.txt');
    yes('**/x.md', 'x.md');
    yes('**/x.md', 'a/b/x.md');
    no('a/**/b', 'a/xb');
    yes('[!a]x', 'bx');
    yes('[^a]x', 'bx');
    no('[!a]x', 'ax');
    no('[ab]', '/');
    yes('a\\*', 'a*');
    no('a\\*', 'ab');
    yes('!*.pdf', 'a.md');
    no('!*.pdf', 'a.pdf');
    yes('{a}', '{a}');
    yes('[x', '[x');
    yes('{a,{b,c}}.md', 'c.md');
  });

  it('stays linear on patterns that make a regular expression backtrack', () => {
    const hostile = `${'*?'.repeat(40)}Z`;
    const path = 'a'.repeat(400);
    const match = compileGlob(hostile);
    for (let i = 0; i < 200; i++) expect(match(path + i)).toBe(false);
    expect(match(`${path}Z`)).toBe(true);
    expect(matchSources([{ source: 'x'.repeat(300) }], `${'*?'.repeat(12)}Z`).size).toBe(0);
  });

  it('refuses braces that expand past the limit, naming the parameter', () => {
    expect(expandBraces('{a,b}{c,d}')).toEqual(['ac', 'ad', 'bc', 'bd']);
    expect(() => compileGlob('{a,b}'.repeat(9))).toThrow(`more than ${MAX_ALTERNATIVES} alternatives`);
    expect(() => matchSources([{ source: 'a' }], '{a,b}'.repeat(9))).toThrow(
      expect.objectContaining({
        code: 'INVALID_REQUEST',
        issues: [{ path: 'source', message: `not a usable glob: its braces give more than ${MAX_ALTERNATIVES} alternatives` }],
      }),
    );
  });
});
