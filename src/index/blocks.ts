// The keyword side's unit, in every store: each passage with its neighbours in its run of text.
import type { PassageRecord } from './manifest.js';

/**
 * The text the keyword side scores for each passage (label i is block i): the passage with the passage before and
 * after it in the same run, rebuilt from their sentences. An answer's words are often around it rather than in it
 * (the name a few sentences earlier, the question's other half just after), and a span of about twice a passage
 * is where plain BM25 does best on long documents; the passage shown stays the target size.
 */
export function blocksOf(passages: PassageRecord[]): { texts: string[]; passages: number[][] } {
  const texts = passages.map((p, label) => {
    const sentences = new Map<number, string>();
    for (const q of [passages[label - 1], p, passages[label + 1]]) {
      if (!q || q.source !== p.source || q.block !== p.block) continue;
      for (const s of q.sentences) sentences.set(s.start, q.text.slice(s.start - q.start, s.end - q.start));
    }
    return [...sentences.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t).join(' ');
  });
  return { texts, passages: passages.map((_, label) => [label]) };
}
