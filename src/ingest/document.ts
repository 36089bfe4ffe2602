// What every reader of a format gives: the document's text as blocks separated by blank lines (the unit chunking
// cuts), with its title, where each page starts and where each heading's section starts. Offsets are into that text.

/** The formats the corpus reader knows, by what reads them. */
export type DocumentFormat = 'text' | 'markdown' | 'html' | 'pdf' | 'docx';

/** Bumped whenever a reader would give other text for the same file, so that older builds are rebuilt. */
export const EXTRACTOR_VERSION = 3;

export interface ExtractedText {
  /** Blocks separated by one blank line; no blank line inside a block. */
  text: string;
  title?: string;
  /** Offset of the start of each page (PDF): page n starts at `pages[n - 1]`. */
  pages?: number[];
  /** Each heading: its offset in the text and its words, in order. */
  sections?: { start: number; heading: string }[];
  /** Spans of the text that are furniture, not indexed: a licence header and footer, a table of contents. */
  omit?: { start: number; end: number }[];
}

/** A document of the corpus as the build indexes it: its extracted text and where it came from. */
export interface ExtractedDocument extends ExtractedText {
  /** Path relative to the corpus folder, with forward slashes. */
  source: string;
  format: DocumentFormat;
  /** SHA-256 of the file's bytes: an unchanged file is not read again by the next build. */
  sha256: string;
}

/** Collapses a block's white space to single spaces: a block never holds a blank line. */
const flat = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Builds an extracted text block by block: paragraphs, headings (which open a section) and page breaks. */
export function createTextBuilder() {
  const parts: string[] = [];
  let length = 0;
  const pages: number[] = [];
  const sections: { start: number; heading: string }[] = [];
  const append = (raw: string): number | null => {
    const text = flat(raw);
    if (!text) return null;
    const start = length === 0 ? 0 : length + 2;
    parts.push(text);
    length = start + text.length;
    return start;
  };
  return {
    /** A paragraph (or list item, table row, page line run): one block. */
    block: (text: string) => void append(text),
    /** A heading: a block of its own, and the section of what follows until the next heading. */
    heading(text: string) {
      const start = append(text);
      if (start !== null) sections.push({ start, heading: flat(text) });
    },
    /** The next block starts a new page. */
    page: () => void pages.push(length === 0 ? 0 : length + 2),
    /**
     * A new page whose first words continue the last block (a sentence cut by a page break): they join it, after a
     * space, or with none when `joined` (a word hyphenated across the break), and the page starts at them.
     */
    pageWithin(raw: string, joined = false) {
      const text = flat(raw);
      if (!text) return;
      if (!parts.length) {
        pages.push(0);
        append(text);
        return;
      }
      const sep = joined ? '' : ' ';
      pages.push(length + sep.length);
      parts[parts.length - 1] += sep + text;
      length += sep.length + text.length;
    },
    done(title?: string): ExtractedText {
      const t = title ? flat(title) : '';
      return {
        text: parts.join('\n\n'),
        ...(t ? { title: t } : {}),
        ...(pages.length ? { pages } : {}),
        ...(sections.length ? { sections } : {}),
      };
    },
  };
}

/** The last index of `starts` (ascending) at or before `offset`, or -1. */
function lastAtOrBefore(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Where a passage starting at an offset is: its page (1-based) and the nearest heading above it, where known. */
export function createLocator(doc: ExtractedText): (offset: number) => { page?: number; section?: string } {
  const sectionStarts = doc.sections?.map((s) => s.start) ?? [];
  return (offset) => {
    const page = doc.pages ? lastAtOrBefore(doc.pages, offset) : -1;
    const section = lastAtOrBefore(sectionStarts, offset);
    return { ...(page >= 0 ? { page: page + 1 } : {}), ...(section >= 0 ? { section: doc.sections![section].heading } : {}) };
  };
}
