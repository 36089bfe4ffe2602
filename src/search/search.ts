// Ranking → hits: the answering sentence of each passage marked, passages that repeat a better hit left out.
import type { PassageRecord } from '../index/store.js';
import type { SearchEngine } from './engine.js';
import type { Candidate } from './fusion.js';
import { terms } from '../index/keywords.js';
import { checkDeadline } from './deadline.js';
import { rank, type Ranking, type SearchTimings } from './rank.js';
import { matchSources } from './sources.js';
import { calibrate, changedPassages, PROBE_QUESTIONS, type Calibration } from './confidence.js';

export interface SearchHit {
  id: string;
  /** Fused score: the meaning score and the keyword score mixed by the query's keyword share; see the README. */
  score: number;
  text: string;
  source: string;
  start: number;
  end: number;
  /** The answering sentence: offsets into `text`. */
  highlight: { start: number; end: number; text: string };
  /** Whether it is likely to answer: it scores above what this index gives to questions it cannot answer. */
  confident: boolean;
  /** The document's title, where it has one (HTML, PDF metadata, Markdown front matter, a top heading). */
  title?: string;
  /** The page the passage starts on (PDF), 1-based. */
  page?: number;
  /** The nearest heading above the passage. */
  section?: string;
}

export interface SearchOptions {
  /** Hits to return. */
  k: number;
  /** Hits to pass over first: paging. */
  offset?: number;
  /** Only hits scoring at least this. */
  minScore?: number;
  /** A glob over document paths: only their passages (see sources.ts). */
  source?: string;
  /** At most this many hits from one document. */
  perSource?: number;
  /** Stops the work of a request given up on. */
  signal?: AbortSignal;
}

export interface SearchResult {
  hits: SearchHit[];
  /** The version of the index that answered. */
  index: string;
  /** The score above which a hit of this index is confident (see confidence.ts). */
  threshold: number;
  timings: SearchTimings;
}

/** How much sharing the query's terms adds to a sentence's cosine when the answering sentence is picked. */
export const TERM_BONUS = 0.25;

/**
 * The answering sentence of a passage (its index): the closest in meaning, preferring among close ones the one that
 * shares the query's terms; the first of equals.
 */
export function answeringSentence(passage: PassageRecord, cosine: (row: number) => number, queryTerms: Set<string>): number {
  let best = 0;
  let bestPick = -Infinity;
  passage.sentences.forEach((s, i) => {
    const sentenceTerms = terms(passage.text.slice(s.start - passage.start, s.end - passage.start));
    const shared = queryTerms.size ? sentenceTerms.filter((t) => queryTerms.has(t)).length / queryTerms.size : 0;
    const pick = cosine(s.row) + TERM_BONUS * Math.min(1, shared);
    if (pick > bestPick) {
      bestPick = pick;
      best = i;
    }
  });
  return best;
}

/** The text of a passage's sentence, white space folded: the same sentence wherever it stands, in any document. */
export function sentenceKey(passage: PassageRecord, s: { start: number; end: number }): string {
  return passage.text
    .slice(s.start - passage.start, s.end - passage.start)
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A passage adds nothing new when its answering sentence is already shown, or when more than half of its sentences
 * are: overlapping windows and repeated text would otherwise fill the top results with the same words. Sentences are
 * compared by their text, so a sentence repeated in another document counts as shown.
 */
export function isRedundant(passage: PassageRecord, answering: number, shown: Set<string>): boolean {
  const keys = passage.sentences.map((s) => sentenceKey(passage, s));
  if (shown.has(keys[answering])) return true;
  const repeated = keys.filter((k) => shown.has(k)).length;
  return repeated * 2 > keys.length;
}

/** The hit a passage gives, with its answering sentence marked and where it is (title, page, section) when known. */
function hitOf(p: PassageRecord, answering: number, score: number, title: string | undefined, threshold: number): SearchHit {
  const s = p.sentences[answering];
  const start = s.start - p.start;
  const end = s.end - p.start;
  return {
    id: p.id,
    score,
    text: p.text,
    source: p.source,
    start: p.start,
    end: p.end,
    highlight: { start, end, text: p.text.slice(start, end) },
    confident: score > threshold,
    ...(title ? { title } : {}),
    ...(p.page ? { page: p.page } : {}),
    ...(p.section ? { section: p.section } : {}),
  };
}

/**
 * Up to `k` hits from candidates in ranked order, each scoring at least `minScore` as returned (rounded to 6
 * places, so a hit's own score as minScore keeps that hit), repeats left out when the engine says so, and at most
 * `perSource` from one document.
 */
export function selectHits(
  engine: SearchEngine,
  ranking: Pick<Ranking, 'passages' | 'cosine'>,
  candidates: Candidate[],
  query: string,
  k: number,
  minScore = -Infinity,
  perSource = Infinity,
  threshold = Infinity,
): SearchHit[] {
  const queryTerms = new Set(terms(query));
  const hits: SearchHit[] = [];
  const shown = new Set<string>();
  const perDocument = new Map<string, number>();
  for (const c of candidates) {
    const score = Number(c.score.toFixed(6));
    if (hits.length >= k || score < minScore) break;
    const p = ranking.passages.get(c.label)!;
    const taken = perDocument.get(p.source) ?? 0;
    if (taken >= perSource) continue;
    const answering = answeringSentence(p, ranking.cosine, queryTerms);
    if (engine.settings.dedup && isRedundant(p, answering, shown)) continue;
    for (const x of p.sentences) shown.add(sentenceKey(p, x));
    perDocument.set(p.source, taken + 1);
    hits.push(hitOf(p, answering, score, engine.titles.get(p.source), threshold));
  }
  return hits;
}

/** A calibration and the passages changed since it was made (carried across versions by carryCalibration). */
const calibrations = new WeakMap<object, { calibration: Promise<Calibration>; drift: number }>();

/** A calibration is made anew once the passages changed since it was made pass this share of the index. */
export const RECALIBRATE_SHARE = 0.1;

/**
 * The confidence threshold of an engine's index (confidence.ts): made by the first search of a version (its probe
 * questions embedded in one batch) and kept with the version's manifest, whatever engine or reader wraps it.
 */
export function calibrationOf(engine: SearchEngine): Promise<Calibration> {
  let held = calibrations.get(engine.reader.manifest);
  if (!held) {
    const calibration = (async () => {
      const vectors = await engine.embedder.embedQueries(PROBE_QUESTIONS);
      return calibrate(async (q, i) => {
        const ranking = await rank(engine, q, { vector: vectors[i] });
        return selectHits(engine, ranking, ranking.candidates, q, 1)[0]?.score ?? -Infinity;
      });
    })();
    // A calibration that failed (the store went away) is tried again by the next search.
    calibration.catch(() => calibrations.delete(engine.reader.manifest));
    calibrations.set(engine.reader.manifest, (held = { calibration, drift: 0 }));
  }
  return held.calibration;
}

/**
 * Lets the next version of an index (`to`) keep the calibration of `from` while the passages changed since it was
 * made stay under RECALIBRATE_SHARE of the index: a document put or edited barely moves what off-topic questions
 * score, and calibrating costs a hundred searches. Returns whether it was kept.
 */
export function carryCalibration(from: SearchEngine, to: SearchEngine): boolean {
  const held = calibrations.get(from.reader.manifest);
  if (!held || from.reader.manifest === to.reader.manifest) return Boolean(held);
  const drift = held.drift + changedPassages(from.reader.manifest, to.reader.manifest);
  if (drift > RECALIBRATE_SHARE * Math.max(1, to.reader.manifest.passages)) return false;
  calibrations.set(to.reader.manifest, { calibration: held.calibration, drift });
  return true;
}

const addTimings = (a: SearchTimings, b: SearchTimings): SearchTimings => ({
  embedMs: a.embedMs + b.embedMs,
  vectorMs: a.vectorMs + b.vectorMs,
  lexicalMs: a.lexicalMs + b.lexicalMs,
  fusionMs: a.fusionMs + b.fusionMs,
});

/**
 * Answers a query with hits `offset`…`offset + k` scoring at least `minScore`, best first, of the documents `source`
 * matches, at most `perSource` a document. When repeats, the per-document limit or a filter leave too few hits, the
 * ranking is taken again four times deeper (the query embedded once), until enough or nothing more is left.
 */
export async function search(engine: SearchEngine, query: string, options: SearchOptions): Promise<SearchResult> {
  const { threshold } = await calibrationOf(engine);
  // Every read of one search sees one version of the index.
  return engine.reader.snapshot((reader) => searchIn(reader === engine.reader ? engine : { ...engine, reader }, query, options, threshold));
}

/**
 * The most candidates one search ranks, however deep its page or few the hits its filter or per-document limit leave:
 * the bound on the work one request can ask for (the deepest page, MAX_OFFSET + SEARCH_MAX_K hits, is within it, though
 * repeats or a per-document limit may leave such a page short of hits ranked below the bound).
 */
export const MAX_DEPTH = 2048;

async function searchIn(engine: SearchEngine, query: string, options: SearchOptions, threshold: number): Promise<SearchResult> {
  const { k, offset = 0, minScore = -Infinity, perSource = Infinity, signal } = options;
  const filter = options.source === undefined ? undefined : matchSources(engine.reader.manifest.documents, options.source);
  let timings: SearchTimings = { embedMs: 0, vectorMs: 0, lexicalMs: 0, fusionMs: 0 };
  // At most `perSource` hits a document: a page past what the documents can give is empty, found with no search.
  const documents = filter ? filter.size : engine.reader.manifest.documents.length;
  const reachable = perSource === Infinity ? Infinity : documents * perSource;
  if (offset >= reachable) return { hits: [], threshold, index: engine.reader.name, timings };
  const wanted = Math.min(offset + k, reachable);
  let depth = Math.max(engine.settings.depth, wanted);
  let vector: Float32Array | undefined;
  for (;;) {
    const ranking = await rank(engine, query, { depth, filter, vector, signal });
    checkDeadline(signal);
    vector = ranking.vector;
    const t = performance.now();
    const hits = selectHits(engine, ranking, ranking.candidates, query, wanted, minScore, perSource, threshold);
    // Fusion is timed with the making of the hits: highlight and dedup.
    timings = addTimings(timings, { ...ranking.timings, fusionMs: ranking.timings.fusionMs + performance.now() - t });
    const last = ranking.candidates.at(-1);
    const cutByScore = last !== undefined && Number(last.score.toFixed(6)) < minScore;
    // The candidates a request may rank are bounded: a deep page of a grouped or filtered search stops there.
    if (hits.length >= wanted || ranking.exhausted || cutByScore || depth >= MAX_DEPTH)
      return { hits: hits.slice(offset), threshold, index: engine.reader.name, timings };
    depth = Math.min(depth * 4, MAX_DEPTH);
    // A deeper ranking is taken on a later turn of the event loop: what waits meanwhile (/health, other searches) runs.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
