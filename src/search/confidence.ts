// Whether a hit is likely to answer: its score against the scores this index gives to questions it cannot answer.
// Scores differ from corpus to corpus (a long book holds a few words of any question), so no fixed threshold does;
// each index is probed with questions about everyday things no document collection here is about, and a hit is
// confident when it scores above what those questions reach.

/**
 * Questions on subjects a document collection is rarely about (kitchen, sport, gadgets, errands, nonsense): what the
 * index gives them is what a question without an answer scores here. Written apart from any evaluation set.
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
];

/**
 * Where the threshold sits among the probes' best scores: at this quantile (not the highest: a probe may happen to be
 * answered, a book mentioning the moon), raised by MARGIN_SDS of their standard deviation.
 */
export const PROBE_QUANTILE = 0.9;
export const MARGIN_SDS = 0.25;

export interface Calibration {
  /** The score above which a hit is confident. */
  threshold: number;
  /** The best hit's score for each probe question. */
  probes: number[];
}

/** The threshold given the probes' best scores: their PROBE_QUANTILE quantile plus MARGIN_SDS standard deviations. */
export function thresholdOf(scores: number[]): number {
  const found = scores.filter(Number.isFinite).sort((a, b) => a - b);
  if (!found.length) return -Infinity;
  const at = Math.min(found.length - 1, Math.floor(PROBE_QUANTILE * found.length));
  const mean = found.reduce((a, b) => a + b, 0) / found.length;
  const sd = Math.sqrt(found.reduce((a, b) => a + (b - mean) ** 2, 0) / found.length);
  return found[at] + MARGIN_SDS * sd;
}

/** The calibration of an index from `best`, the best hit's score a question gets there (-Infinity for none). */
export async function calibrate(best: (question: string, index: number) => Promise<number>): Promise<Calibration> {
  const probes: number[] = [];
  for (const [i, q] of PROBE_QUESTIONS.entries()) probes.push(await best(q, i));
  return { threshold: thresholdOf(probes), probes };
}
