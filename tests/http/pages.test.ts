import { describe, expect, it } from 'vitest';
import { documentPage, VIEW_CONTEXT_CHARS, viewWindow } from '../../src/http/pages.js';

/** A long text of numbered paragraphs, each about 100 characters. */
const long = Array.from(
  { length: 30_000 },
  (_, i) => `Paragraph ${i} tells of the harbour, the ferries and the keeper of the light at the end of pier ${i}.`,
).join('\n\n');

describe('the document view', () => {
  it('shows a short document whole', () => {
    const text = 'One short note.\n\nAnother.';
    expect(viewWindow(text, 0, 5)).toEqual({ from: 0, to: text.length });
  });

  it('shows a long document around the passage, cut between paragraphs', () => {
    const start = long.indexOf('Paragraph 15000 ');
    const end = long.indexOf('\n\n', start);
    const { from, to } = viewWindow(long, start, end);
    expect(start - from).toBeLessThanOrEqual(VIEW_CONTEXT_CHARS);
    expect(start - from).toBeGreaterThan(VIEW_CONTEXT_CHARS - 200);
    expect(to - end).toBeLessThanOrEqual(VIEW_CONTEXT_CHARS);
    expect(to - end).toBeGreaterThan(VIEW_CONTEXT_CHARS - 200);
    expect(long.slice(from, from + 10)).toBe('Paragraph ');
    expect(long.slice(to, to + 2)).toBe('\n\n');
    const page = documentPage('pier.txt', { text: long }, start, end);
    expect(page.length).toBeLessThan(3 * VIEW_CONTEXT_CHARS);
    expect(page).toContain(`<mark id="hit" tabindex="-1">${long.slice(start, end)}</mark>`);
    expect(page).toContain(`… ${from.toLocaleString('en')} characters before`);
    expect(page).toContain(`… ${(long.length - to).toLocaleString('en')} characters after`);
  });

  it('names the title and the page of the passage, and escapes what it shows', () => {
    const doc = { text: 'First page.\n\nSecond <page>.', title: 'Report & notes', pages: [0, 13] };
    const page = documentPage('r.pdf', doc, 13, 27);
    expect(page).toContain('<h1>Report &#38; notes</h1>');
    expect(page).toContain('r.pdf · page 2 of 2');
    expect(page).toContain('<mark id="hit" tabindex="-1">Second &#60;page&#62;.</mark>');
    expect(documentPage('r.pdf', doc, 0, 5)).toContain('r.pdf · page 1 of 2');
  });
});
