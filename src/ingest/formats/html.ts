// HTML: the page's main content only. Mozilla's Readability (the reader view of Firefox) finds the article, over a
// linkedom DOM; navigation, headers, footers, cookie banners and "subscribe" boxes are removed before it looks, and
// when it finds no article the whole body is read with the same removals. Headings open sections. A page nested
// deeper than the nesting limit is refused before anything walks it: Readability's time grows with the cube of the
// depth (1,000 nested <div> took 7 s, 2,000 took 48), and the walks here recurse.
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { createTextBuilder, type ExtractedText } from '../document.js';
import { DEFAULT_LIMITS, tooDeep } from '../limits.js';
import { headless } from './tags.js';

type Builder = ReturnType<typeof createTextBuilder>;

/** The little of the DOM read here (the project compiles without the DOM's types). */
interface El {
  nodeType: number;
  tagName: string;
  textContent: string | null;
  childNodes: ArrayLike<El>;
  innerHTML: string;
  getAttribute(name: string): string | null;
  closest(selector: string): El | null;
  remove(): void;
}
interface Doc {
  title: string;
  body: El | null;
  querySelector(selector: string): El | null;
  querySelectorAll(selector: string): ArrayLike<El>;
}

const parse = (html: string) => parseHTML(html).document as unknown as Doc;

/** Throws too-complex when elements below `root` nest deeper than `limit`; walks the tree without recursing. */
function checkDepth(root: El | null, limit: number): void {
  const stack: [El, number][] = root ? [[root, 1]] : [];
  while (stack.length) {
    const [el, depth] = stack.pop()!;
    if (depth > limit) throw tooDeep(`over ${limit}`, limit);
    const children = el.childNodes;
    for (let i = 0; i < children.length; i++) if (children[i].nodeType === 1) stack.push([children[i], depth + 1]);
  }
}

/** Never content. */
const NOT_CONTENT =
  'script, style, noscript, template, svg, canvas, iframe, form, button, select, nav, aside, [hidden], [aria-hidden="true"], [role="navigation"], [role="banner"], [role="contentinfo"], [role="dialog"], [role="search"]';
/** Page chrome by its name: removed only when small, so that a wrapper named so around the article stays. */
const CHROME = /cookie|consent|gdpr|newsletter|subscribe|signup|sign-up|banner|popup|modal|share|social|breadcrumb|promo|advert|related/i;
const CHROME_MAX_CHARS = 600;

const HEADINGS = new Set(['H1', 'H2', 'H3', 'H4', 'H5', 'H6']);
/** Elements whose content is a block of its own. */
const BLOCKS = new Set([
  'P',
  'LI',
  'BLOCKQUOTE',
  'PRE',
  'TR',
  'DT',
  'DD',
  'FIGCAPTION',
  'CAPTION',
  'ADDRESS',
  'DIV',
  'SECTION',
  'ARTICLE',
  'MAIN',
  'HEADER',
  'FOOTER',
  'UL',
  'OL',
  'DL',
  'TABLE',
  'FIGURE',
  'BODY',
  'HR',
]);

/** Removes what is never the content: scripts, navigation, page headers and footers, banners and boxes. */
function removeChrome(document: Doc): void {
  for (const el of Array.from(document.querySelectorAll(NOT_CONTENT))) el.remove();
  // A page's own header and footer (not an article's): outside <main> and <article>.
  for (const el of Array.from(document.querySelectorAll('header, footer'))) if (!el.closest('main, article')) el.remove();
  for (const el of Array.from(document.querySelectorAll('[class], [id]'))) {
    const name = `${el.getAttribute('class') ?? ''} ${el.getAttribute('id') ?? ''}`;
    if (el.tagName !== 'BODY' && CHROME.test(name) && (el.textContent ?? '').length <= CHROME_MAX_CHARS) el.remove();
  }
}

/**
 * A row's line without the cell separators (and white space) it ends in. Not `/(?:\s*·\s*)+$/`: the spaces between
 * two separators can be shared out between its two `\s*` in many ways, tried one by one when the line ends in text,
 * so a row of 16 empty cells and a word took 108 s.
 */
function withoutTrailingSeparators(line: string): string {
  let at = line.length;
  let separator = false;
  for (; at > 0; at--) {
    const c = line[at - 1];
    if (c === '·') separator = true;
    else if (!/\s/.test(c)) break;
  }
  return separator ? line.slice(0, at) : line;
}

/** Adds the blocks of an element's content: inline text gathered until a block element ends it. */
function addBlocks(root: El, b: Builder): void {
  let line = '';
  const flush = () => {
    b.block(line);
    line = '';
  };
  const visit = (el: El): void => {
    if (el.nodeType === 3) {
      line += el.textContent ?? '';
      return;
    }
    if (el.nodeType !== 1) return;
    if (HEADINGS.has(el.tagName)) {
      flush();
      b.heading(el.textContent ?? '');
      return;
    }
    if (el.tagName === 'BR') line += ' ';
    const block = BLOCKS.has(el.tagName);
    if (block) flush();
    for (const child of Array.from(el.childNodes)) {
      visit(child);
      if (el.tagName === 'TR' && child.nodeType === 1) line += ' · ';
    }
    if (el.tagName === 'TR') line = withoutTrailingSeparators(line);
    if (block || el.tagName === 'TD' || el.tagName === 'TH') line += ' ';
    if (block) flush();
  };
  visit(root);
  flush();
}

/**
 * The blocks of an HTML fragment or page, with no article detection: what a Word file's conversion gives. Throws
 * LimitExceeded (too-complex) past `maxNesting`.
 */
export function htmlBlocks(html: string, title?: string, maxNesting = DEFAULT_LIMITS.maxNesting): ExtractedText {
  const document = parse(`<!doctype html><html><body>${html}</body></html>`);
  checkDepth(document.body, maxNesting);
  const b = createTextBuilder();
  if (document.body) addBlocks(document.body, b);
  const firstHeading = document.querySelector('h1')?.textContent ?? undefined;
  return b.done(title ?? firstHeading);
}

/**
 * A page with a body. The DOM reads a fragment without `<body>` (a saved snippet, a page whose tags were left out, as
 * HTML allows) as an empty page, so its head's tags are set apart and the rest becomes the body.
 */
function asPage(html: string): string {
  if (/<body[\s>]/i.test(html)) return html;
  const { title, body } = headless(html);
  return `<!doctype html><html><head><title>${title}</title></head><body>${body}</body></html>`;
}

/**
 * A web page's main content, its title (the page's, or the article's) and its sections. Throws LimitExceeded
 * (too-complex) when its elements nest deeper than `maxNesting`.
 */
export function extractHtml(html: string, maxNesting = DEFAULT_LIMITS.maxNesting): ExtractedText {
  const document = parse(asPage(html));
  checkDepth(document.body, maxNesting);
  const pageTitle = document.title?.trim() || undefined;
  removeChrome(document);
  const fallback = document.body ? document.body.innerHTML : '';
  let article: { title?: string | null; content?: string | null; textContent?: string | null } | null = null;
  try {
    article = new Readability(document as unknown as ConstructorParameters<typeof Readability>[0]).parse();
  } catch {
    article = null;
  }
  const content = article?.content && article.textContent?.trim() ? article.content : fallback;
  const b = createTextBuilder();
  const clean = parse(`<!doctype html><html><body>${content}</body></html>`);
  checkDepth(clean.body, maxNesting);
  if (clean.body) addBlocks(clean.body, b);
  return b.done(article?.title?.trim() || pageTitle);
}
