// Markdown: parsed (CommonMark and GitHub's tables, by micromark), never indexed as markup. Front matter is metadata
// (its `title`), not text; headings open sections; paragraphs, list items, quotes, code and table rows are blocks of
// their words alone — no `**`, no `[text](url)`, no HTML tags. A long document is parsed in pieces (markdown-scan.ts),
// one at a time, so its syntax tree is never held whole.
import type { Nodes, Parents, RootContent } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { frontmatterFromMarkdown } from 'mdast-util-frontmatter';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { toString as textOf } from 'mdast-util-to-string';
import { frontmatter } from 'micromark-extension-frontmatter';
import { gfm } from 'micromark-extension-gfm';
import YAML from 'yaml';
import { createTextBuilder, type ExtractedText } from '../document.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { markdownPieces, PIECE_CHARS } from './markdown-scan.js';
import { stripComments, stripTags } from './tags.js';

type Builder = ReturnType<typeof createTextBuilder>;

const words = (node: Nodes) => textOf(node, { includeHtml: false });

/** The `title` of YAML or TOML front matter, if it has one that is a string. */
function frontMatterTitle(node: RootContent): string | undefined {
  if (node.type === 'yaml') {
    try {
      const data = YAML.parse(node.value) as unknown;
      const title = data && typeof data === 'object' ? (data as Record<string, unknown>).title : undefined;
      return typeof title === 'string' ? title : undefined;
    } catch {
      return undefined;
    }
  }
  if ((node.type as string) === 'toml') return /^title\s*=\s*["'](.*)["']\s*$/m.exec((node as { value: string }).value)?.[1];
  return undefined;
}

/** Adds a node's blocks to the builder; containers (lists, quotes, footnotes) give their children's. */
function addNode(node: RootContent, b: Builder): void {
  switch (node.type) {
    case 'heading':
      b.heading(words(node));
      return;
    case 'paragraph':
      b.block(words(node));
      return;
    case 'code':
      b.block(node.value);
      return;
    case 'html':
      // Raw HTML in Markdown: its words, not its tags or comments.
      b.block(stripTags(stripComments(node.value)));
      return;
    case 'table':
      for (const row of node.children)
        b.block(
          row.children
            .map((cell) => words(cell))
            .filter(Boolean)
            .join(' · '),
        );
      return;
    case 'list':
    case 'listItem':
    case 'blockquote':
    case 'footnoteDefinition':
      addChildren(node, b);
      return;
    default:
      // Front matter, thematic breaks, link definitions: nothing to read.
      return;
  }
}

function addChildren(node: Parents, b: Builder): void {
  for (const child of node.children as RootContent[]) addNode(child, b);
}

/**
 * A Markdown document's text, title (front matter's, else its first top-level heading's) and sections, parsed in
 * pieces of about `pieceChars`. Throws LimitExceeded (too-complex) when its quotes or lists nest deeper than
 * `maxNesting`.
 */
export function extractMarkdown(source: string, maxNesting = DEFAULT_LIMITS.maxNesting, pieceChars = PIECE_CHARS): ExtractedText {
  const b = createTextBuilder();
  let title: string | undefined;
  let heading: string | undefined;
  markdownPieces(source, maxNesting, pieceChars).forEach((piece, i) => {
    const tree = fromMarkdown(piece, {
      extensions: [...(i === 0 ? [frontmatter(['yaml', 'toml'])] : []), gfm()],
      mdastExtensions: [...(i === 0 ? [frontmatterFromMarkdown(['yaml', 'toml'])] : []), gfmFromMarkdown()],
    });
    for (const node of tree.children) {
      title ??= frontMatterTitle(node);
      if (heading === undefined && node.type === 'heading' && node.depth === 1) heading = words(node);
      addNode(node, b);
    }
  });
  return b.done(title ?? heading);
}
