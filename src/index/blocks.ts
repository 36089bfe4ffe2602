// Blocks (paragraphs) rebuilt from their passages: the unit the keyword side scores, in every store.
import type { PassageRecord } from './manifest.js';

/**
 * The text of each block, rebuilt from its passages' sentences, and the passages of each block. Keyword evidence is
 * weighed per block: a paragraph that holds the query's terms supports each of its windows, even the ones that
 * cut some of those terms off.
 */
export function blocksOf(passages: PassageRecord[]): { texts: string[]; passages: number[][] } {
  const sentences = new Map<number, Map<number, string>>();
  const members: number[][] = [];
  passages.forEach((p, label) => {
    (members[p.block] ??= []).push(label);
    const seen = sentences.get(p.block) ?? new Map<number, string>();
    sentences.set(p.block, seen);
    for (const s of p.sentences) seen.set(s.start, p.text.slice(s.start - p.start, s.end - p.start));
  });
  const texts = members.map((_, block) => [...sentences.get(block)!.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t).join(' '));
  return { texts, passages: members };
}
