// Markdown: parsed (CommonMark and GitHub's tables, by micromark), never indexed as markup. Front matter is metadata
// (its `title`), not text; headings open sections; paragraphs, list items, quotes, code and table rows are blocks of
// their words alone — no `**`, no `[text](url)`, no HTML tags.
import type { Nodes, Parents, RootContent } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { frontmatterFromMarkdown } from 'mdast-util-frontmatter';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { toString } from 'mdast-util-to-string';
import { frontmatter } from 'micromark-extension-frontmatter';
import { gfm } from 'micromark-extension-gfm';
import YAML from 'yaml';
import { createTextBuilder, type ExtractedText } from '../document.js';

type Builder = ReturnType<typeof createTextBuilder>;

const words = (node: Nodes) => toString(node, { includeHtml: false });

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
      b.block(node.value.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<[^>]*>/g, ' '));
      return;
    case 'table':
      for (const row of node.children) b.block(row.children.map((cell) => words(cell)).filter(Boolean).join(' · '));
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

/** A Markdown document's text, title (front matter's, else its first top-level heading's) and sections. */
export function extractMarkdown(source: string): ExtractedText {
  const tree = fromMarkdown(source, {
    extensions: [frontmatter(['yaml', 'toml']), gfm()],
    mdastExtensions: [frontmatterFromMarkdown(['yaml', 'toml']), gfmFromMarkdown()],
  });
  const b = createTextBuilder();
  let title: string | undefined;
  for (const node of tree.children) {
    title ??= frontMatterTitle(node);
    addNode(node, b);
  }
  const firstHeading = tree.children.find((n) => n.type === 'heading' && n.depth === 1);
  return b.done(title ?? (firstHeading ? words(firstHeading) : undefined));
}
