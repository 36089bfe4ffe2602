// Glob matching in time linear in the path, whatever the pattern: the pattern becomes a small automaton that is run
// over the path's characters with a set of states (no regular expression, so nothing backtracks), its state sets
// cached as the states of a deterministic automaton built as needed. Glob libraries compile to JavaScript regular
// expressions, which backtrack: `*?*?*?*?*?*?*?*?*?*?*?*?Z` froze the event loop for seconds.
//
// The dialect: `*` (or more stars) any characters but `/`; exactly `**` as a whole path segment, any number of segments (none included);
// `?` one character but `/`; `[abc]`, `[a-z]`, `[!abc]` or `[^abc]` one character of a set (never `/`); `{a,b}` either
// alternative (nested too); `\` makes the next character literal; a leading `!` matches what the rest does not.
// Dots are not special. Everything else is literal.

/** Alternatives a pattern's braces may expand to: `{a,b}{c,d}…` grows as a product. */
export const MAX_ALTERNATIVES = 256;

type Step =
  | { kind: 'char'; c: string }
  | { kind: 'any' } // `?`
  | { kind: 'set'; negated: boolean; ranges: [string, string][] }
  | { kind: 'star' } // `*`: stays on any character but `/`
  | { kind: 'segments'; last?: boolean }; // `**/`: stays on any character; leaves after a `/` (`**` last: anywhere)

/** The alternatives of `pattern`'s braces, expanded; a brace with no comma, or not closed, is literal. */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  const commas: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '{') {
      if (depth++ === 0) open = i;
    } else if (c === ',' && depth === 1) commas.push(i);
    else if (c === '}' && depth > 0 && --depth === 0) {
      if (!commas.length) {
        // `{x}` is literal: expand what follows it.
        return expandBraces(pattern.slice(i + 1)).map((rest) => pattern.slice(0, i + 1) + rest);
      }
      const head = pattern.slice(0, open);
      const cuts = [open, ...commas, i];
      const parts = cuts.slice(1).map((end, k) => pattern.slice(cuts[k] + 1, end));
      const tails = expandBraces(pattern.slice(i + 1));
      const out: string[] = [];
      for (const part of parts) {
        for (const inner of expandBraces(part)) {
          for (const tail of tails) {
            out.push(head + inner + tail);
            if (out.length > MAX_ALTERNATIVES) throw new Error(`its braces give more than ${MAX_ALTERNATIVES} alternatives`);
          }
        }
      }
      return out;
    }
  }
  return [pattern];
}

/** The steps of one brace-free pattern, as alternatives (a trailing `/**` is two: the folder, and its tree). */
function stepsOf(pattern: string): Step[][] {
  const steps: Step[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) steps.push({ kind: 'char', c: pattern[++i] });
    else if (c === '?') steps.push({ kind: 'any' });
    else if (c === '*') {
      let j = i;
      while (pattern[j + 1] === '*') j++;
      const whole = j === i + 1 && (i === 0 || pattern[i - 1] === '/') && (j + 1 === pattern.length || pattern[j + 1] === '/');
      if (!whole) steps.push({ kind: 'star' });
      else if (j + 1 < pattern.length) {
        // `**/`: any number of whole segments, each with its `/`.
        steps.push({ kind: 'segments' });
        j++;
      } else if (i === 0) {
        // `**` alone: any path.
        steps.push({ kind: 'segments', last: true });
      } else {
        // `a/**`: `a` itself, or anything under it.
        return [steps.slice(0, -1), [...steps, { kind: 'segments', last: true }]];
      }
      i = j;
    } else if (c === '[') {
      const set = classAt(pattern, i);
      if (set) {
        steps.push(set.step);
        i = set.end;
      } else steps.push({ kind: 'char', c });
    } else steps.push({ kind: 'char', c });
  }
  return [steps];
}

/** The character class opening at `at`, and where it closes; null when it is not closed (then `[` is literal). */
function classAt(pattern: string, at: number): { step: Step; end: number } | null {
  let i = at + 1;
  const negated = pattern[i] === '!' || pattern[i] === '^';
  if (negated) i++;
  const ranges: [string, string][] = [];
  for (let first = true; i < pattern.length; i++, first = false) {
    let c = pattern[i];
    if (c === ']' && !first) return { step: { kind: 'set', negated, ranges }, end: i };
    if (c === '\\' && i + 1 < pattern.length) c = pattern[++i];
    if (pattern[i + 1] === '-' && i + 2 < pattern.length && pattern[i + 2] !== ']') {
      let to = pattern[i + 2];
      i += 2;
      if (to === '\\' && i + 1 < pattern.length) to = pattern[++i];
      ranges.push([c, to]);
    } else ranges.push([c, c]);
  }
  return null;
}

function accepts(step: Step, c: string): boolean {
  switch (step.kind) {
    case 'char':
      return step.c === c;
    case 'any':
    case 'star':
      return c !== '/';
    case 'set':
      return c !== '/' && step.ranges.some(([a, b]) => a <= c && c <= b) !== step.negated;
    case 'segments':
      return true;
  }
}

/**
 * An automaton over the alternatives' steps. A state is (alternative, position); `star` and `segments` may be passed
 * without consuming. `segments` consumes any character and stays, and may be left only just after a `/` (or without
 * consuming anything), so it matches whole segments.
 */
class Automaton {
  private readonly steps: Step[] = [];
  private readonly ends = new Set<number>();
  /** States (as sorted ids joined) → the deterministic state's number; its transitions by character. */
  private readonly ids = new Map<string, number>();
  private readonly sets: Int32Array[] = [];
  private readonly moves: Map<string, number>[] = [];
  private readonly accepting: boolean[] = [];
  private readonly start: number;
  /** Past this many deterministic states, sets are no longer cached (the run stays linear, only slower). */
  private static readonly CACHE = 4096;

  constructor(alternatives: Step[][]) {
    const starts: number[] = [];
    for (const alt of alternatives) {
      starts.push(this.steps.length);
      this.steps.push(...alt);
      this.ends.add(this.steps.length);
      this.steps.push({ kind: 'char', c: '' }); // the end of this alternative: accepts nothing
    }
    this.start = this.stateOf(this.closure(starts));
  }

  /**
   * The states reachable from `states` without consuming: past each `star`, and past each `segments` entered afresh
   * (none of its segments). A `segments` step part-way through a segment is `inside` it (its number plus the count of
   * steps) and is not passed until a `/` ends that segment.
   */
  private closure(states: Iterable<number>): Int32Array {
    const out = new Set<number>();
    const stack = [...states];
    while (stack.length) {
      const s = stack.pop()!;
      if (out.has(s)) continue;
      out.add(s);
      const kind = this.steps[s]?.kind;
      if (kind === 'star' || kind === 'segments') stack.push(s + 1);
    }
    return Int32Array.from([...out].sort((a, b) => a - b));
  }

  private stateOf(set: Int32Array): number {
    const key = set.join(',');
    const known = this.ids.get(key);
    if (known !== undefined) return known;
    const id = this.sets.length;
    this.sets.push(set);
    this.moves.push(new Map());
    this.accepting.push(set.some((s) => this.ends.has(s)));
    if (id < Automaton.CACHE) this.ids.set(key, id);
    return id;
  }

  private step(from: number, c: string): number {
    const cached = this.moves[from].get(c);
    if (cached !== undefined) return cached;
    const next: number[] = [];
    const inside = this.steps.length;
    for (const state of this.sets[from]) {
      const s = state >= inside ? state - inside : state;
      const step = this.steps[s];
      if (this.ends.has(s) || !accepts(step, c)) continue;
      if (step.kind === 'star') next.push(s);
      else if (step.kind === 'segments') {
        next.push(s + inside);
        // A segment ends at `/`; at the pattern's end (`**`, `a/**`) any path may end anywhere.
        if (c === '/' || step.last) next.push(s + 1);
      } else next.push(s + 1);
    }
    const to = this.stateOf(this.closure(next));
    if (from < Automaton.CACHE) this.moves[from].set(c, to);
    return to;
  }

  matches(path: string): boolean {
    let state = this.start;
    for (const c of path) {
      state = this.step(state, c);
      if (!this.sets[state].length) return false;
    }
    return this.accepting[state];
  }
}

/**
 * A matcher for `pattern`. With `basename`, a path is matched by its last segment. Throws, saying why, when the
 * braces expand too far.
 */
export function compileGlob(pattern: string, options: { basename?: boolean } = {}): (path: string) => boolean {
  const negated = pattern.startsWith('!') && pattern.length > 1;
  // `./reports/**` is `reports/**`: paths are relative to the corpus folder.
  const body = (negated ? pattern.slice(1) : pattern).replace(/^(?:\.\/)+/, '');
  const automaton = new Automaton(expandBraces(body).flatMap(stepsOf));
  return (path) => {
    const subject = options.basename ? path.slice(path.lastIndexOf('/') + 1) : path;
    return automaton.matches(subject) !== negated;
  };
}
