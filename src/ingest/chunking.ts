// Pure text → passages: windows of whole sentences, as close to a target size in words as sentences allow, that run
// across paragraph breaks but never across a heading, a page that starts a new paragraph, a run of furniture or a
// repeated block; each sentence within the model's token limit, with character offsets into the source text. No I/O.
// Every step is linear in the text: no regular expression that can backtrack or overflow the stack on a long block.

import { countWords, isSpace, normalizeSpace } from './words.js';

export { countWords, normalizeSpace };

/** Bumped whenever the same text and options would give different passages, so older indexes count as stale. */
export const CHUNKER_VERSION = 5;

export interface ChunkingOptions {
  /** Words per passage aimed at: a window ends at the sentence boundary nearest this size. */
  words: number;
  /** Words shared by consecutive passages of a run, at most (whole sentences). */
  overlap: number;
  /** Tokens per sentence at most (the model's input limit): a longer sentence is cut at word boundaries. */
  maxTokens: number;
}

export interface Span {
  start: number;
  end: number;
}

export interface Sentence extends Span {
  text: string;
}

export interface Chunk extends Span {
  text: string;
  /** The run of blocks it is cut from (numbered within the document): passages of one run are neighbours. */
  run: number;
  /** The passage's sentences, with offsets into the source text. */
  sentences: Sentence[];
}

/** What chunking needs of a document: its text, and where headings, pages and furniture are. */
export interface ChunkSource {
  text: string;
  /** Offsets of heading blocks: each is a boundary and not a passage of its own. */
  sections?: { start: number }[];
  /** Offsets where pages start: a page that starts a new block is a boundary. */
  pages?: number[];
  /** Spans that are not indexed (a licence header, a table of contents): their blocks are boundaries. */
  omit?: Span[];
}

export type TokenCounter = (text: string) => number;

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/** Blocks are runs of lines separated by blank lines (lines of white space only); offsets are into `text`. */
export function splitBlocks(text: string): Sentence[] {
  const blocks: Sentence[] = [];
  let start = -1;
  let end = -1;
  let lineStart = 0;
  while (lineStart <= text.length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    let first = lineStart;
    while (first < lineEnd && isSpace(text.charCodeAt(first))) first++;
    if (first === lineEnd) {
      if (start >= 0) blocks.push({ start, end, text: text.slice(start, end) });
      start = -1;
    } else {
      let last = lineEnd;
      while (isSpace(text.charCodeAt(last - 1))) last--;
      if (start < 0) start = first;
      end = last;
    }
    lineStart = lineEnd + 1;
  }
  if (start >= 0) blocks.push({ start, end, text: text.slice(start, end) });
  return blocks;
}

// Titles that end in a full stop yet rarely end a sentence. V8's Intl.Segmenter does not apply ICU's abbreviation
// suppressions, and the sentence libraries on npm measured some 60 times slower on book-length text.
const TITLES = new Set(
  'Mr Mrs Ms Mme Mlle Dr Prof Rev Hon Gen Col Capt Lt Sgt Gov Sen Rep Pres St Jr Sr Messrs Fr No vs Vol Ch cf viz e.g i.e etc'.split(' ').map((t) => `${t}.`),
);

/** Whether `text[from, to)` ends in a title ("Mr.") standing as a word of its own: the sentence goes on after it. */
function endsInTitle(text: string, from: number, to: number): boolean {
  while (to > from && isSpace(text.charCodeAt(to - 1))) to--;
  let at = to;
  while (at > from && to - at <= 8 && !isSpace(text.charCodeAt(at - 1))) at--;
  if (at > from && !isSpace(text.charCodeAt(at - 1))) return false;
  return TITLES.has(text.slice(at, to));
}

/** Characters the segmenter is given at a time: V8's sentence iterator slows down sharply on long strings. */
const SEGMENT_WINDOW = 4096;

/**
 * The sentence segments of a text as [start, end) offsets. The segmenter reads a window at a time and the text goes on
 * from the window's last segment (which the window may have cut), so the work stays linear in the text; a window
 * that holds no boundary at all ends at its last white space.
 */
function* segmentsOf(text: string): Generator<[number, number]> {
  let base = 0;
  while (base < text.length) {
    const limit = Math.min(text.length, base + SEGMENT_WINDOW);
    const starts: number[] = [];
    for (const seg of segmenter.segment(text.slice(base, limit))) starts.push(base + seg.index);
    if (limit === text.length) {
      for (let i = 0; i < starts.length; i++) yield [starts[i], i + 1 < starts.length ? starts[i + 1] : limit];
      return;
    }
    if (starts.length > 1) {
      for (let i = 0; i + 1 < starts.length; i++) yield [starts[i], starts[i + 1]];
      base = starts[starts.length - 1];
      continue;
    }
    let cut = limit;
    while (cut > base + 1 && !isSpace(text.charCodeAt(cut - 1))) cut--;
    if (cut <= base + 1) cut = limit;
    yield [base, cut];
    base = cut;
  }
}

/** Sentences of a block, trimmed, with offsets into the source text. Line breaks inside a block are not breaks. */
export function splitSentences(block: Sentence): Sentence[] {
  const out: Sentence[] = [];
  const flat = block.text.replace(/\n/g, ' ');
  let from = -1;
  let to = 0;
  const flush = () => {
    let a = from;
    let b = to;
    while (a < b && isSpace(flat.charCodeAt(a))) a++;
    while (b > a && isSpace(flat.charCodeAt(b - 1))) b--;
    if (b > a) out.push({ start: block.start + a, end: block.start + b, text: block.text.slice(a, b) });
    from = -1;
  };
  for (const [index, end] of segmentsOf(flat)) {
    if (from < 0) from = index;
    to = end;
    if (!endsInTitle(flat, from, to)) flush();
  }
  if (from >= 0) flush();
  return out;
}

/**
 * Cuts a sentence longer than the token limit into word-aligned pieces that fit. Tokenizers split at white space
 * (or nearly: a sentencepiece may join two short words), so a piece's tokens are counted as the sum of its words'.
 */
function splitLong(sentence: Sentence, maxTokens: number, count: TokenCounter): Sentence[] {
  const pieces: Sentence[] = [];
  let from = -1;
  let to = 0;
  let size = 0;
  const cut = () => {
    if (from >= 0) pieces.push({ start: sentence.start + from, end: sentence.start + to, text: sentence.text.slice(from, to) });
  };
  for (const word of sentence.text.matchAll(/\S+/g)) {
    const n = count(word[0]);
    // A single over-long word still becomes its own piece.
    if (from >= 0 && size + n > maxTokens) {
      cut();
      from = -1;
    }
    if (from < 0) {
      from = word.index!;
      size = 0;
    }
    to = word.index! + word[0].length;
    size += n;
  }
  cut();
  return pieces;
}

/**
 * Windows over one run of sentences: each ends at the sentence boundary nearest `words`, the next starts so that the
 * two share at most `overlap` words (always moving on by one sentence at least), and the last reaches back to the
 * target size rather than leave a short tail. Returns [first, last] sentence indexes.
 */
export function windowBounds(sizes: number[], words: number, overlap: number): [number, number][] {
  const out: [number, number][] = [];
  const n = sizes.length;
  let first = 0;
  while (first < n) {
    let last = first;
    let size = sizes[first];
    // Take the next sentence while that brings the window nearer the target (or no farther from it).
    while (last + 1 < n && Math.abs(size + sizes[last + 1] - words) <= Math.abs(size - words)) size += sizes[++last];
    if (last === n - 1 && out.length) {
      // The run's tail: reach back over the window before, towards the target size, rather than end on a scrap.
      const floor = out[out.length - 1][0] + 1;
      while (first > floor && Math.abs(size + sizes[first - 1] - words) <= Math.abs(size - words)) size += sizes[--first];
    }
    out.push([first, last]);
    if (last === n - 1) break;
    let next = last + 1;
    let shared = 0;
    while (next - 1 > first && shared + sizes[next - 1] <= overlap) shared += sizes[--next];
    first = next;
  }
  return out;
}

/** The blocks of a document that can hold passages, in runs: a heading, furniture or a repeated block ends a run. */
function runsOf(doc: ChunkSource, seen: Set<string>): Sentence[][] {
  const headings = new Set(doc.sections?.map((s) => s.start));
  const pageStarts = new Set(doc.pages);
  const omit = [...(doc.omit ?? [])].sort((a, b) => a.start - b.start);
  let o = 0;
  const runs: Sentence[][] = [];
  let run: Sentence[] = [];
  const cut = () => {
    if (run.length) runs.push(run);
    run = [];
  };
  for (const block of splitBlocks(doc.text)) {
    while (o < omit.length && omit[o].end <= block.start) o++;
    const omitted = o < omit.length && omit[o].start < block.end;
    if (pageStarts.has(block.start)) cut();
    if (omitted || headings.has(block.start)) {
      cut();
      continue;
    }
    // A block of some length seen before (a title line, a licence paragraph) is indexed once in the corpus.
    const key = normalizeSpace(block.text).toLowerCase();
    if (countWords(key) >= 5) {
      if (seen.has(key)) {
        cut();
        continue;
      }
      seen.add(key);
    }
    run.push(block);
  }
  cut();
  return runs;
}

/** The sentences of each run of a document's blocks (see runsOf), with offsets into its text; not yet cut to size. */
export function sentenceRuns(doc: ChunkSource): Sentence[][] {
  return runsOf(doc, new Set<string>()).map((blocks) => blocks.flatMap((block) => splitSentences(block)));
}

/**
 * Passages of a document from its sentence runs: a sentence over the token limit cut at word boundaries, then
 * windows of about `options.words` words within each run. Throws RangeError for sizes that cannot make windows.
 */
export function windowsOf(text: string, runs: Sentence[][], options: ChunkingOptions, count: TokenCounter): Chunk[] {
  if (options.words < 1) throw new RangeError('words must be at least 1');
  if (options.overlap < 0 || options.overlap >= options.words) throw new RangeError('overlap must be in [0, words)');
  const chunks: Chunk[] = [];
  runs.forEach((run, index) => {
    const sentences = run.flatMap((s) => (count(s.text) > options.maxTokens ? splitLong(s, options.maxTokens, count) : [s]));
    const sizes = sentences.map((s) => countWords(s.text));
    for (const [first, last] of windowBounds(sizes, options.words, options.overlap)) {
      const start = sentences[first].start;
      const end = sentences[last].end;
      chunks.push({ start, end, text: text.slice(start, end), run: index, sentences: sentences.slice(first, last + 1) });
    }
  });
  return chunks;
}

/**
 * Splits a document into passages: sentence windows of about `options.words` words within each run of blocks (see
 * runsOf). A block of five words or more that the document has already shown (its normalized text) is skipped, so a
 * paragraph repeated through a document (a running title, a refrain) is indexed once. A document's passages depend
 * on that document alone. Throws RangeError for sizes that cannot make windows.
 */
export function chunkDocument(doc: ChunkSource, options: ChunkingOptions, count: TokenCounter): Chunk[] {
  return windowsOf(doc.text, sentenceRuns(doc), options, count);
}
