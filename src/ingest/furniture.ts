// Page furniture: what a document holds that is not its text. A Project Gutenberg licence header and footer (outside
// the `*** START OF` / `*** END OF` lines), a table of contents, and lines that are only a heading ("CHAPTER XXXIV",
// "ACT III. SCENE II.") in formats that have no markup for headings (plain text, PDF): the headings become sections,
// the rest is left out of the index while the text keeps it. Pure, and linear in the text: the tests at a line's end
// are written out, since a pattern such as `\S(?:[ \t]*\.{3,}[ \t]*)\d$` tried from every dot of a run of dots is
// quadratic in the run.
import { countWords, splitBlocks, type Sentence, type Span } from './chunking.js';

export interface Furniture {
  /** Spans of the text that are not indexed. */
  omit: Span[];
  /** Heading blocks found: each opens a section. */
  sections: { start: number; heading: string }[];
  /** The title a licence header names (`Title: …`), if any. */
  title?: string;
}

const START = /^[ \t]*\*{3}[ \t]*START OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK\b[^\n]*$/im;
const END = /^[ \t]*\*{3}[ \t]*END OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK\b[^\n]*$/im;

/** The body of a Project Gutenberg text: after its START line and before its END line; null when it has neither. */
export function gutenbergBody(text: string): (Span & { title?: string }) | null {
  const start = START.exec(text);
  const end = END.exec(text);
  if (!start && !end) return null;
  const from = start ? start.index + start[0].length : 0;
  const to = end && end.index >= from ? end.index : text.length;
  const header = text.slice(0, start ? start.index : 0);
  const title = /^Title:[ \t]*([^\n]+(?:\n[ \t]+[^\n\s][^\n]*)*)/m.exec(header)?.[1].replace(/\s+/g, ' ').trim();
  return { start: from, end: to, ...(title ? { title } : {}) };
}

const flat = (s: string) => s.replace(/\s+/g, ' ').trim();
/** A heading's words for comparison: lower case, letters and digits only. */
const key = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

const SPELLED = new Set(
  'one two three four five six seven eight nine ten eleven twelve first second third fourth fifth sixth seventh eighth ninth tenth last'.split(' '),
);
/** The length of the run of characters of `set` that ends `text` at `end` (exclusive). */
function runBefore(text: string, end: number, set: string): number {
  let at = end;
  while (at > 0 && set.includes(text[at - 1])) at--;
  return end - at;
}

/** Whether a word counts something: a roman numeral in capitals, digits, or a number in words ("Book the First"). */
function numeral(word: string): boolean {
  const w = word.slice(0, word.length - runBefore(word, word.length, '.:,'));
  return /^[IVXLCDM]+$/.test(w) || /^\d{1,4}$/.test(w) || SPELLED.has(w.toLowerCase());
}
// Words that open a heading when a number follows them ("Letter 4", "ACT III"): alone they also start sentences.
const COUNTED = new Set('chapter book part act scene stave letter volume vol section canto fit lecture essay article'.split(' '));
/** Whether a line opens with a counted heading word and its number: "CHAPTER XXXIV", "Book the First", "Letter 4". */
function counted(line: string): boolean {
  const [word, next, after] = line.split(' ');
  if (!word || !COUNTED.has(word.replace(/[.:]$/, '').toLowerCase()) || !next) return false;
  return numeral(next) || (next.toLowerCase() === 'the' && after !== undefined && numeral(after));
}
/** A line without its leading number: "I. A Scandal" and "Chapter 2. The Pool" give "A Scandal" and "The Pool". */
function withoutNumber(line: string): string {
  const words = line.split(' ');
  let at = 0;
  if (words.length > 1 && COUNTED.has(words[0].replace(/[.:]$/, '').toLowerCase()) && numeral(words[1])) at = 2;
  else if (numeral(words[0])) at = 1;
  return words.slice(at).join(' ');
}
// Words that are a heading by themselves ("PREFACE", "Introduction").
const NAMED =
  /^(?:chapter|preface|introduction|prologue|epilogue|appendix|conclusion|contents|table of contents|footnotes|notes|dedication|afterword|foreword|postscript|interlude|epigraph|glossary|index|the end|finis)\b/i;
const ROMAN = /^[IVXLCDM]+\.?(?:\s+(\S.*))?$/;
const CONTENTS = /^(?:contents|table of contents|list of illustrations|illustrations|list of plates)[.:]?$/i;

/** Whether a line reads as a title rather than prose: short, capitalised, not ending a sentence in lower case. */
function titleLike(line: string): boolean {
  if (countWords(line) > 12 || !/^[\p{Lu}\p{N}]/u.test(line)) return false;
  if (/[,;]$/.test(line)) return false;
  return !/\p{Ll}[.!?]["'”’)]*$/u.test(line);
}

// Words a title leaves in lower case ("The Rise and Fall of the City").
const MINOR = new Set('a an the and but or nor of to in on at by for from with as into onto over per via vs than'.split(' '));

/**
 * Whether a line is a headline in title case: three to fourteen words, each but the minor ones capitalised (or a
 * number), and no punctuation ending a sentence or a clause ("US Seeks Pakistan's Help With Afghanistan").
 */
function titleCase(line: string): boolean {
  const words = line.split(' ');
  if (words.length < 3 || words.length > 14 || /[.,;:!?]["'”’)]*$/u.test(line)) return false;
  return words.every((w, i) => {
    const bare = w.replace(/^[“"'‘(]+/u, '');
    if (!/\p{L}/u.test(bare)) return true;
    if (i > 0 && MINOR.has(bare.toLowerCase())) return true;
    return /^[\p{Lu}\p{N}]/u.test(bare);
  });
}

/** Whether a line is in capitals: two letters or more and none in lower case. */
const capitals = (line: string) => /\p{Lu}.*\p{Lu}/u.test(line) && !/\p{Ll}/u.test(line);

/** Whether a line is a heading on its own: a counted or named heading word, a roman numeral, or words in capitals. */
function headingLine(line: string, entries: Set<string>): boolean {
  if (line.length > 200 || countWords(line) > 24) return false;
  if (entries.has(key(line))) return true;
  if (/^[“"'‘([_]/u.test(line)) return false;
  if (counted(line)) return true;
  if (NAMED.test(line) && countWords(line) <= 8 && !/\p{Ll}[.!?]$/u.test(line)) return true;
  const roman = ROMAN.exec(line);
  if (roman) return !roman[1] || titleLike(roman[1]);
  if (/^\d{1,3}\.?$/.test(line)) return true;
  if (titleCase(line)) return true;
  // Words in capitals: two or more, no lower case, not a signature ("FREDERICK DOUGLASS.").
  return capitals(line) && countWords(line) >= 2 && !/[.,;]$/.test(line);
}

const linesOf = (block: Sentence) => block.text.split('\n').map(flat).filter(Boolean);

/** Whether a block is only a heading: up to three short lines, the first a heading, the rest titles. */
function headingBlock(block: Sentence, entries: Set<string>): boolean {
  const lines = linesOf(block);
  if (lines.length > 3 || countWords(block.text) > 30) return false;
  if (entries.has(key(block.text))) return true;
  return headingLine(lines[0], entries) && lines.slice(1).every((l) => titleLike(l) || (capitals(l) && countWords(l) <= 24) || headingLine(l, entries));
}

/** Whether a block reads as running prose: a long line, or lines wrapped mid-sentence. */
function prose(block: Sentence): boolean {
  const lines = linesOf(block);
  if (lines.some((l) => countWords(l) > 16 && /\p{Ll}/u.test(l))) return true;
  const wrapped = lines.filter((l) => l.length >= 45 && /\p{Ll}[,;]?$/u.test(l)).length;
  return wrapped >= 2 || (lines.length === 1 && countWords(lines[0]) > 12 && /[.!?]["'”’]?$/.test(lines[0]));
}

const DIGITS = '0123456789';
const ROMAN_LOWER = 'ivxlc';
const isBlank = (c: string | undefined) => c !== undefined && /\s/.test(c);

/** A line without the page number it ends in after white space or dots: "Prices .... 12" → "Prices". */
function withoutPageNumber(line: string): string {
  const digits = runBefore(line, line.length, DIGITS);
  const number = digits || runBefore(line, line.length, ROMAN_LOWER);
  let at = line.length - number;
  const gap = at;
  while (at > 0 && (line[at - 1] === '.' || isBlank(line[at - 1]))) at--;
  return number && at < gap ? line.slice(0, at) : line;
}

/** A contents entry's keys: the line, and the line without its number ("I. A Scandal" → "a scandal"). */
function entryKeys(line: string): string[] {
  const unpaged = withoutPageNumber(line);
  return [key(line), key(unpaged), key(withoutNumber(unpaged))].filter((k) => k.length > 0);
}

/**
 * A table of contents starting at block `at` (a "Contents" line): it runs over the list that follows, up to the
 * first block that repeats one of its entries (the first heading it lists) or reads as prose.
 */
function contentsAt(blocks: Sentence[], at: number): { end: number; last: number; entries: Set<string> } {
  const entries = new Set<string>();
  const add = (block: Sentence, skipFirst: boolean) =>
    linesOf(block)
      .slice(skipFirst ? 1 : 0)
      .forEach((l) => entryKeys(l).forEach((k) => entries.add(k)));
  add(blocks[at], true);
  let last = at;
  for (let i = at + 1; i < blocks.length && i <= at + 400; i++) {
    const lines = linesOf(blocks[i]);
    if (prose(blocks[i]) || (entries.size && (entries.has(key(blocks[i].text)) || entries.has(key(lines[0]))))) break;
    add(blocks[i], false);
    last = i;
  }
  return { end: blocks[last].end, last, entries };
}

/**
 * Whether a line ends in a page number after dot leaders or a wide gap ("Prices .... 12", "Index   iv"): what
 * `/\S(?:[ \t]{2,}|[ \t]*\.{3,}[ \t]*)(?:\d{1,4}|[ivxlc]{1,6})[ \t]*$/` says, read from the line's end.
 */
function paged(line: string): boolean {
  const end = line.length - runBefore(line, line.length, ' \t');
  const digits = runBefore(line, end, DIGITS);
  const roman = digits ? 0 : runBefore(line, end, ROMAN_LOWER);
  if (!(digits >= 1 && digits <= 4) && !(roman >= 1 && roman <= 6)) return false;
  const gapEnd = end - digits - roman;
  const spaces = runBefore(line, gapEnd, ' \t');
  // A wide gap after anything that is not white space.
  if (spaces >= 2 && gapEnd - spaces > 0 && !isBlank(line[gapEnd - spaces - 1])) return true;
  const dots = runBefore(line, gapEnd - spaces, '.');
  if (dots < 3) return false;
  const before = gapEnd - spaces - dots;
  const lead = before - runBefore(line, before, ' \t');
  // Three dots after anything that is not white space, or four, the first of them standing for it.
  return (lead > 0 && !isBlank(line[lead - 1])) || dots >= 4;
}

/** Lines of a block that end in a page number after dot leaders or a wide gap, and all its lines. */
function pagedLines(block: Sentence): { paged: number; lines: number } {
  const lines = block.text.split('\n').filter((l) => l.trim());
  return { paged: lines.filter(paged).length, lines: lines.length };
}

/** The end (exclusive) of a run of blocks from `at` that lists entries with page numbers, or `at` when none does. */
function pagedListEnd(blocks: Sentence[], at: number): number {
  let end = at;
  let paged = 0;
  for (; end < blocks.length; end++) {
    const p = pagedLines(blocks[end]);
    if (p.paged * 5 < p.lines * 3) break;
    paged += p.paged;
  }
  return paged >= 3 ? end : at;
}

/** The section label of a heading: a bare number under a named heading reads "I. A SCANDAL IN BOHEMIA › II.". */
function labelOf(text: string, named: string | null): { label: string; named: string | null } {
  const words = flat(text);
  const bare = /^(?:[IVXLCDM]+|\d{1,3})\.?$/.test(words);
  if (bare && named) return { label: `${named} › ${words}`, named };
  return { label: words, named: words };
}

/**
 * Headings and contents of the text `[from, to)` of a document without heading markup: blocks that are only a
 * heading (see headingBlock, and any block that repeats a contents entry), and each table of contents to omit.
 */
export function findStructure(text: string, from = 0, to = text.length): { sections: { start: number; heading: string }[]; omit: Span[] } {
  const blocks = splitBlocks(text).filter((b) => b.start >= from && b.end <= to);
  const sections: { start: number; heading: string }[] = [];
  const omit: Span[] = [];
  let entries = new Set<string>();
  let named: string | null = null;
  for (let i = 0; i < blocks.length; i++) {
    const first = linesOf(blocks[i])[0];
    const listEnd = pagedListEnd(blocks, i);
    if (listEnd > i) {
      omit.push({ start: blocks[i].start, end: blocks[listEnd - 1].end });
      i = listEnd - 1;
      continue;
    }
    if (CONTENTS.test(first)) {
      const toc = contentsAt(blocks, i);
      omit.push({ start: blocks[i].start, end: toc.end });
      entries = new Set([...entries, ...toc.entries]);
      i = toc.last;
      continue;
    }
    if (!headingBlock(blocks[i], entries)) continue;
    const l = labelOf(blocks[i].text, named);
    named = l.named;
    sections.push({ start: blocks[i].start, heading: l.label });
  }
  return { sections, omit };
}

/**
 * The furniture of a document's text: outside a Project Gutenberg body, and, when `structure` (a format without
 * heading markup), its contents and heading lines.
 */
export function findFurniture(text: string, structure: boolean): Furniture {
  const body = gutenbergBody(text);
  const omit: Span[] = [];
  if (body) {
    if (body.start > 0) omit.push({ start: 0, end: body.start });
    if (body.end < text.length) omit.push({ start: body.end, end: text.length });
  }
  const found = structure ? findStructure(text, body?.start ?? 0, body?.end ?? text.length) : { sections: [], omit: [] };
  return { omit: [...omit, ...found.omit].sort((a, b) => a.start - b.start), sections: found.sections, ...(body?.title ? { title: body.title } : {}) };
}
