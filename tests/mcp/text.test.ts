// The tools' text, as an agent reads it, from small inline results: the place of each hit, the weak matches, the
// passage marked inside the document's window.
import { describe, expect, it } from 'vitest';
import { documentAsText } from '../../src/mcp/tools/get-document.js';
import { responseAsText } from '../../src/mcp/tools/search.js';

const hit = (over: Record<string, unknown>) => ({
  id: 'r.pdf:10-40',
  score: 0.61234,
  text: 'Before it. The answer is here. After it.',
  source: 'r.pdf',
  start: 10,
  end: 40,
  highlight: { start: 11, end: 30, text: 'The answer is here.' },
  confident: true,
  ...over,
});
const response = (hits: ReturnType<typeof hit>[]) => ({ query: 'q', hits, threshold: 0.3, index: 'build-1', tookMs: 1 });

describe("the search tool's text", () => {
  it('names each hit by its place, numbers it from the offset, marks the answer and the weak matches', () => {
    const text = responseAsText(
      response([
        hit({ title: 'Annual report', page: 3 }),
        hit({ title: 'Notes', section: 'Costs', confident: false, score: 0.2 }),
        hit({ source: 'a.txt', confident: false, score: 0.1 }),
      ]),
      5,
    );
    expect(text.split('\n')).toEqual([
      '1 of 3 passages likely answers (score above 0.300), best first:',
      '',
      '6. Annual report — page 3 (r.pdf), characters 10-40, score 0.612',
      '   Before it. [The answer is here.] After it.',
      '',
      '7. Notes › Costs (r.pdf), characters 10-40, score 0.200, weak match',
      '   Before it. [The answer is here.] After it.',
      '',
      '8. a.txt, characters 10-40, score 0.100, weak match',
      '   Before it. [The answer is here.] After it.',
      '',
      'Read around a passage with get_document, given its source, start and end.',
    ]);
  });

  it('says when no passage answers, and when none matches', () => {
    expect(responseAsText(response([hit({ confident: false })]))).toMatch(
      /^No passage answers this question \(none scores above 0\.300\); the closest, as weaker matches:\n\n1\. /,
    );
    expect(responseAsText(response([]))).toBe('No passage matches.');
  });
});

describe("the get_document tool's text", () => {
  it('heads the window as /view does and marks the passage in it', () => {
    const doc = {
      source: 'r.pdf',
      title: 'Annual report',
      page: 2,
      pages: 4,
      length: 5000,
      from: 100,
      to: 130,
      start: 110,
      end: 120,
      text: 'aaaaaaaaaaPASSAGE!!!bbbbbbbbbb',
    };
    expect(documentAsText(doc).split('\n\n')).toEqual([
      '# Annual report',
      'r.pdf · page 2 of 4',
      '… 100 characters before',
      'aaaaaaaaaa<mark>PASSAGE!!!</mark>bbbbbbbbbb',
      '… 4,870 characters after',
    ]);
    expect(documentAsText({ source: 'a.txt', length: 3, from: 0, to: 3, start: 0, end: 3, text: 'abc' })).toBe('# a.txt\n\n<mark>abc</mark>');
  });
});
