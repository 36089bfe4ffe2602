// The keyword side's unit, in every store: a short run of text whole, else each passage with its neighbours.
import type { PassageRecord } from './manifest.js';

/** A run of at most this many passages is one keyword block: a short section, an abstract, a page's paragraph. */
export const WHOLE_RUN_PASSAGES = 3;

/** The text of passages `from`…`to` (inclusive), rebuilt from their sentences, each sentence once and in order. */
function spanText(passages: PassageRecord[], from: number, to: number): string {
  const sentences = new Map<number, string>();
  for (let l = from; l <= to; l++) {
    const q = passages[l];
    for (const s of q.sentences) sentences.set(s.start, q.text.slice(s.start - q.start, s.end - q.start));
  }
  return [...sentences.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, t]) => t)
    .join(' ');
}

/**
 * The blocks the keyword side scores, each with the passages it stands for. A run (passages of one document and one
 * `block`, consecutive) of at most WHOLE_RUN_PASSAGES passages is one block: the whole of a short text is where its
 * words are. In a longer run each passage is a block of its own, scored with the passage before and after it: an
 * answer's words are often around it rather than in it (the name a few sentences earlier, the question's other half
 * just after), and a span of about twice a passage is where plain BM25 does best on long documents; the passage shown
 * stays the target size. Passages of a run are consecutive, as a build orders them.
 */
export function blocksOf(passages: PassageRecord[]): { texts: string[]; passages: number[][] } {
  const texts: string[] = [];
  const out: number[][] = [];
  const sameRun = (a: number, b: number) => passages[a].source === passages[b].source && passages[a].block === passages[b].block;
  for (let first = 0; first < passages.length; ) {
    let last = first;
    while (last + 1 < passages.length && sameRun(last + 1, first)) last++;
    if (last - first + 1 <= WHOLE_RUN_PASSAGES) {
      texts.push(spanText(passages, first, last));
      out.push(Array.from({ length: last - first + 1 }, (_, i) => first + i));
    } else {
      for (let label = first; label <= last; label++) {
        texts.push(spanText(passages, Math.max(first, label - 1), Math.min(last, label + 1)));
        out.push([label]);
      }
    }
    first = last + 1;
  }
  return { texts, passages: out };
}
