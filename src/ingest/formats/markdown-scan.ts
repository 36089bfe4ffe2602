// One pass over a Markdown source before it is parsed, in time linear in it: how deep its quotes and lists nest (the
// parser's time grows faster than the depth, and 5,000 `>` overflow its stack), and where a long document can be cut
// into pieces that parse alone. The parser's syntax tree of a 30 MB file took 2.7 GB; pieces of a few hundred KB,
// parsed one after another, keep its memory to a piece's.
import { tooDeep } from '../limits.js';

/** Characters a piece holds at least before it is cut at the next safe place. */
export const PIECE_CHARS = 256 * 1024;
/** Link reference definitions copied into every piece only up to this size (beyond, references across pieces stay text). */
const DEFINITIONS_MAX_CHARS = 64 * 1024;

/** Where the scan is: in ordinary text, or inside something a blank line does not end. */
interface Open {
  /** What closes it: a fence's marker run, `---`/`+++` of front matter, or an HTML end (`-->`, `</pre>`…). */
  close: string;
  kind: 'fence' | 'front' | 'html';
}

const HTML_BLOCKS: [string, string][] = [
  ['<!--', '-->'],
  ['<pre', '</pre>'],
  ['<script', '</script>'],
  ['<style', '</style>'],
  ['<textarea', '</textarea>'],
];

/** Spaces (up to three) before a line's content. */
function indentOf(line: string): number {
  let i = 0;
  while (i < line.length && line[i] === ' ') i++;
  return i;
}

/** The fence a line opens (its run of ``` or ~~~), or null. */
function fenceOpened(line: string): string | null {
  const at = indentOf(line);
  if (at > 3) return null;
  const mark = line[at];
  if (mark !== '`' && mark !== '~') return null;
  let end = at;
  while (line[end] === mark) end++;
  if (end - at < 3 || (mark === '`' && line.includes('`', end))) return null;
  return line.slice(at, end);
}

/** Whether `line` closes what `open` holds open. */
function closes(line: string, open: Open): boolean {
  if (open.kind === 'html') return line.toLowerCase().includes(open.close);
  const trimmed = line.trim();
  if (open.kind === 'front') return trimmed === open.close;
  return indentOf(line) <= 3 && trimmed.length >= open.close.length && trimmed.split('').every((c) => c === open.close[0]);
}

/** What a line opens that a blank line does not end: a fence, or an HTML block of the kinds that hold blank lines. */
function opened(line: string, first: boolean): Open | null {
  if (first && (line === '---' || line === '+++')) return { close: line, kind: 'front' };
  const fence = fenceOpened(line);
  if (fence) return { close: fence, kind: 'fence' };
  const start = line.slice(indentOf(line), indentOf(line) + 10).toLowerCase();
  const html = indentOf(line) <= 3 ? HTML_BLOCKS.find(([open]) => start.startsWith(open)) : undefined;
  return html && !line.toLowerCase().includes(html[1], html[0].length) ? { close: html[1], kind: 'html' } : null;
}

/**
 * How deep a line's containers go, over-counted rather than under: each `>` and list marker at its start, and a level
 * for every two columns of white space among them.
 */
export function lineDepth(line: string): number {
  const spaceAt = (i: number) => line[i] === ' ' || line[i] === '\t';
  let markers = 0;
  let columns = 0;
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t') columns += c === ' ' ? 1 : 4;
    else if (c === '>') markers++;
    else if ((c === '-' || c === '+' || c === '*') && spaceAt(i + 1)) markers++;
    else {
      // An ordered list's marker: up to nine digits, then `.` or `)`, then white space.
      let end = i;
      while (end < line.length && end - i < 9 && line[end] >= '0' && line[end] <= '9') end++;
      if (end === i || (line[end] !== '.' && line[end] !== ')') || !spaceAt(end + 1)) break;
      markers++;
      i = end;
    }
    i++;
  }
  return markers + Math.floor(columns / 2);
}

/** Whether a line is a link reference definition's first line: `[label]: destination`. */
function definitionLine(line: string): boolean {
  const at = indentOf(line);
  if (at > 3 || line[at] !== '[') return false;
  const close = line.indexOf(']', at + 1);
  return close > at + 1 && line[close + 1] === ':';
}

/**
 * The pieces of a Markdown source, each to be parsed alone, in order: cut after a blank line, before a line that
 * starts at its margin, outside fences, front matter and multi-line HTML, once a piece holds `pieceChars`. Pieces
 * after the first start with the document's link reference definitions (when they are few), so a reference finds
 * its definition in whichever piece it is; the first piece has them at its end. Throws LimitExceeded (too-complex)
 * when a line nests deeper than `maxNesting`.
 */
export function markdownPieces(source: string, maxNesting: number, pieceChars = PIECE_CHARS): string[] {
  const cuts: number[] = [0];
  const definitions: string[] = [];
  let open: Open | null = null;
  let blank = false;
  for (let start = 0; start < source.length; ) {
    const newline = source.indexOf('\n', start);
    const end = newline < 0 ? source.length : newline;
    const line = source.slice(start, end);
    if (open) {
      if (closes(line, open)) open = null;
    } else {
      const depth = lineDepth(line);
      if (depth > maxNesting) throw tooDeep(depth, maxNesting);
      const isBlank = line.trim() === '';
      if (blank && !isBlank && line[0] !== ' ' && line[0] !== '\t' && start - cuts[cuts.length - 1] >= pieceChars) cuts.push(start);
      if (definitionLine(line)) definitions.push(line);
      open = opened(line, start === 0);
      blank = isBlank;
    }
    start = end + 1;
  }
  const pieces = cuts.map((at, i) => source.slice(at, cuts[i + 1] ?? source.length));
  const shared = definitions.join('\n');
  if (pieces.length < 2 || !shared || shared.length > DEFINITIONS_MAX_CHARS) return pieces;
  return pieces.map((piece, i) => (i === 0 ? `${piece}\n\n${shared}\n` : `${shared}\n\n${piece}`));
}
