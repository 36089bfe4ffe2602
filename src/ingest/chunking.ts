// Pure text → passages: sentence-aware windows with overlap, inside one block (paragraph) at a time, each within the
// model's token limit, with character offsets into the source text. No I/O.

/** Bumped whenever the same text and options would give different passages, so older indexes count as stale. */
export const CHUNKER_VERSION = 3;

export interface ChunkingOptions {
  /** Sentences per passage at most. */
  sentences: number;
  /** Sentences shared by consecutive passages of a block. */
  overlap: number;
  /** Tokens per passage at most (the model's input limit). */
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
  /** The passage's sentences, with offsets into the source text. */
  sentences: Sentence[];
  /** The block (paragraph) the passage belongs to. */
  block: Span;
}

export type TokenCounter = (text: string) => number;

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/** Collapses runs of white space; the form of text that is embedded and compared. */
export function normalizeSpace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Blocks are runs of text separated by blank lines; offsets are into `text`. */
export function splitBlocks(text: string): Sentence[] {
  const blocks: Sentence[] = [];
  const re = /\S(?:[^\n]|\n(?![ \t\r]*\n))*/g;
  for (const m of text.matchAll(re)) {
    const raw = m[0].replace(/\s+$/, '');
    blocks.push({ start: m.index!, end: m.index! + raw.length, text: raw });
  }
  return blocks;
}

// Titles that end in a full stop yet rarely end a sentence. V8's Intl.Segmenter does not apply ICU's abbreviation
// suppressions, and the sentence libraries on npm measured some 60 times slower on book-length text.
const TITLES = /(?:^|\s)(?:Mr|Mrs|Ms|Mme|Mlle|Dr|Prof|Rev|Hon|Gen|Col|Capt|Lt|Sgt|Gov|Sen|Rep|Pres|St|Jr|Sr|Messrs|Fr|No|vs|Vol|Ch|cf|viz|e\.g|i\.e|etc)\.\s*$/;

/** Sentences of a block, trimmed, with offsets into the source text. Line breaks inside a block are not breaks. */
export function splitSentences(block: Sentence): Sentence[] {
  const out: Sentence[] = [];
  const flat = block.text.replace(/\n/g, ' ');
  let pending: { index: number; text: string } | null = null;
  const flush = () => {
    if (!pending) return;
    const lead = pending.text.length - pending.text.trimStart().length;
    const body = pending.text.trim();
    if (body) {
      const start = block.start + pending.index + lead;
      out.push({ start, end: start + body.length, text: block.text.slice(start - block.start, start - block.start + body.length) });
    }
    pending = null;
  };
  for (const seg of segmenter.segment(flat)) {
    pending = pending ? { index: pending.index, text: pending.text + seg.segment } : { index: seg.index, text: seg.segment };
    if (!TITLES.test(pending.text)) flush();
  }
  flush();
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

function window(text: string, sentences: Sentence[], block: Span): Chunk {
  const start = sentences[0].start;
  const end = sentences[sentences.length - 1].end;
  return { start, end, text: text.slice(start, end), sentences, block };
}

/** Splits one block's sentences into overlapping windows that respect both the sentence and the token limit. */
function windows(text: string, sentences: Sentence[], block: Span, options: ChunkingOptions, count: TokenCounter): Chunk[] {
  // Each sentence is counted once; a window's size is the sum of its sentences' (each starts a new word).
  const tokens = sentences.map((s) => count(s.text));
  const chunks: Chunk[] = [];
  let first = 0;
  while (first < sentences.length) {
    let last = first;
    let size = tokens[first];
    while (
      last + 1 < sentences.length &&
      last + 1 - first < options.sentences &&
      size + tokens[last + 1] <= options.maxTokens
    ) {
      last++;
      size += tokens[last];
    }
    chunks.push(window(text, sentences.slice(first, last + 1), block));
    if (last === sentences.length - 1) break;
    // Step forward keeping `overlap` sentences, but always advance by at least one.
    first = Math.max(first + 1, last + 1 - options.overlap);
  }
  return chunks;
}

/**
 * Splits a document into passages. Blocks whose normalized text is in `seen` are skipped (and new ones are added to
 * it), so a line repeated through a corpus, such as a title or a licence header, is indexed once.
 */
export function chunkText(text: string, options: ChunkingOptions, count: TokenCounter, seen = new Set<string>()): Chunk[] {
  if (options.sentences < 1) throw new RangeError('sentences must be at least 1');
  if (options.overlap < 0 || options.overlap >= options.sentences) throw new RangeError('overlap must be in [0, sentences)');
  const chunks: Chunk[] = [];
  for (const block of splitBlocks(text)) {
    const key = normalizeSpace(block.text).toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const sentences = splitSentences(block).flatMap((s) =>
      count(s.text) > options.maxTokens ? splitLong(s, options.maxTokens, count) : [s],
    );
    chunks.push(...windows(text, sentences, { start: block.start, end: block.end }, options, count));
  }
  return chunks;
}
