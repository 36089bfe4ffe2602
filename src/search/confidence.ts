// Whether a hit is likely to answer: its score against the scores this index gives to questions it cannot answer.
// Scores differ from corpus to corpus (a long book holds a few words of any question), so no fixed threshold does;
// each index is probed with everyday questions of many kinds that a document collection is rarely about, and a hit is
// confident when it scores well above what those questions typically reach.
import type { IndexManifest } from '../index/manifest.js';

/**
 * Questions on subjects a document collection is rarely about (kitchen, sport, gadgets, errands, computers, science
 * trivia, money, travel, health, nonsense): what the index gives them is what a question without an answer scores
 * here. Many and varied, so that the few a corpus does answer do not move the estimate. Written apart from any
 * evaluation set.
 */
export const PROBE_QUESTIONS = [
  'how long should I boil an egg for a soft yolk',
  'what time does the supermarket close on sunday',
  'best running shoes for flat feet',
  'how to unclog a kitchen sink drain',
  'which team won the basketball final last year',
  'how many calories are in a banana',
  'how do I reset my wifi router password',
  'what is the exchange rate from euro to yen',
  'recommended tyre pressure for a family car',
  'how to remove red wine stains from a carpet',
  'what is the boiling point of water at high altitude',
  'good podcast apps for android phones',
  'how to cook rice in a microwave',
  'symptoms of a vitamin d deficiency',
  'how to change the language on a smart tv',
  'what is the speed of light in a vacuum',
  'how to grow tomatoes on a balcony',
  'python read a csv file into a list',
  'how often should a cat be vaccinated',
  'what is the weather forecast for tomorrow',
  'how to tie a bow tie step by step',
  'cheapest mobile phone plan with unlimited data',
  'how far is the moon from the earth',
  'how to make cold brew coffee at home',
  'what is a good credit score',
  'how to fix a flat bicycle tyre',
  'who invented the telephone',
  'how many players are on a volleyball team',
  'what is the difference between a virus and bacteria',
  'how to clean a cast iron pan',
  'blarvish tindle moxquip zorrent',
  'frubnitz quolley ambertwine sprockle',
  'what is the tallest building in the world',
  'how to convert celsius to fahrenheit',
  'screen time limits for children',
  'how to install a ceiling fan',
  'what is the chemical formula of table salt',
  'how to stop a dog barking at night',
  'yoga poses for lower back pain',
  'how to back up photos from a phone to a laptop',
  'how do I merge two branches in git',
  'what port does https use by default',
  'how to increase the memory limit of a java program',
  'why is my laptop fan so loud',
  'how to export a spreadsheet to pdf',
  'what is the difference between ram and storage',
  'how do solar panels generate electricity',
  'what causes the northern lights',
  'how many bones are in the human body',
  'what is the half life of carbon 14',
  'how do vaccines train the immune system',
  'why is the sky blue during the day',
  'what is the largest desert on earth',
  'how deep is the pacific ocean',
  'which river flows through budapest',
  'what language is spoken in brazil',
  'what is the capital city of australia',
  'how much sleep does a teenager need',
  'what are common symptoms of the flu',
  'how to lower blood pressure naturally',
  'is it safe to take paracetamol with coffee',
  'how does compound interest work',
  'what is an index fund',
  'how to apply for a mortgage',
  'when are quarterly tax payments due',
  'how to negotiate a higher salary',
  'who holds the record for the marathon',
  'how long is a professional ice hockey game',
  'rules of a tie break in tennis',
  'best time of year to visit japan',
  'do I need a visa to travel to canada',
  'how early should I arrive at the airport',
  'how to make sourdough starter from scratch',
  'what temperature should chicken be cooked to',
  'substitute for eggs in baking',
  'how to paint a room without streaks',
  'how to get rid of mould in the bathroom',
  'how often should I change engine oil',
  'what does the check engine light mean',
  'how to charge an electric car at home',
  'how much should I feed a puppy',
  'why does my cat knead blankets',
  'what is the plot of the latest superhero movie',
  'how to start a podcast',
  'how to renew a passport online',
  'what documents do I need to rent an apartment',
  'how does a 3d printer work',
  'what is machine learning used for',
  'how to learn to play guitar chords',
  'what is the best way to memorize vocabulary',
  'how to write a cover letter for a job',
  'what is the recommended daily water intake',
  'how to reduce screen glare on a monitor',
  'zopplewick grandhurst felming quiv',
  'snorbit quandle tweezy morphlock',
];

/**
 * Where the threshold sits: PROBE_SPREAD_Z robust standard deviations above the probes' median best score. Robust
 * (the median, and the spread of the middle half): a few probes a corpus happens to answer (a book that mentions the
 * moon) pull a mean, a standard deviation or a high quantile up with them, but not these. The value was chosen on the
 * development questions of the seed article and the books (README, "Knowing when there is no answer").
 */
export const PROBE_SPREAD_Z = 0.9;
/** The interquartile range of a normal distribution, in standard deviations. */
const IQR_PER_SD = 1.349;

export interface Calibration {
  /** The score above which a hit is confident. */
  threshold: number;
  /** The best hit's score for each probe question. */
  probes: number[];
}

/** The value at quantile `p` of ascending `sorted`, interpolated linearly between the two nearest. */
function quantile(sorted: number[], p: number): number {
  const at = p * (sorted.length - 1);
  const below = Math.floor(at);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (at - below);
}

/** The threshold given the probes' best scores: their median plus PROBE_SPREAD_Z robust standard deviations. */
export function thresholdOf(scores: number[]): number {
  const found = scores.filter(Number.isFinite).sort((a, b) => a - b);
  if (!found.length) return -Infinity;
  const spread = (quantile(found, 0.75) - quantile(found, 0.25)) / IQR_PER_SD;
  return quantile(found, 0.5) + PROBE_SPREAD_Z * spread;
}

/**
 * Passages that differ between two versions of an index: those of every document added, removed or indexed anew.
 * A calibration is kept across small changes (search.ts) and made again once they add up.
 */
export function changedPassages(a: IndexManifest, b: IndexManifest): number {
  const before = new Map(a.documents.map((d) => [d.source, d]));
  let changed = 0;
  for (const d of b.documents) {
    const old = before.get(d.source);
    before.delete(d.source);
    if (!old) changed += d.passages;
    else if (old.sha256 !== d.sha256 || old.indexedAt !== d.indexedAt) changed += Math.max(old.passages, d.passages);
  }
  for (const gone of before.values()) changed += gone.passages;
  return changed;
}

/** The calibration of an index from `best`, the best hit's score a question gets there (-Infinity for none). */
export async function calibrate(best: (question: string, index: number) => Promise<number>): Promise<Calibration> {
  const probes: number[] = [];
  for (const [i, q] of PROBE_QUESTIONS.entries()) probes.push(await best(q, i));
  return { threshold: thresholdOf(probes), probes };
}
