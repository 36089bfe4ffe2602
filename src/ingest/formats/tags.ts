// Markup taken out of text in one pass, in time linear in the text: the regular expressions these replace
// (`<[^>]*>`, `<!--[\s\S]*?-->`, `<title[^>]*>[\s\S]*?<\/title>`) scan to the end of the text again from every `<`
// when the closing mark is missing, which makes 300 KB of `<title x` take minutes.

/** Whether `text` holds `word` (lower-case ASCII) at `at`, in any case. */
function hasAt(text: string, at: number, word: string): boolean {
  if (at + word.length > text.length) return false;
  for (let i = 0; i < word.length; i++) {
    let c = text.charCodeAt(at + i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== word.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * A search for `word` (lower-case ASCII, in any case, starting with `<` or `>`) from positions that only grow: each
 * answer is kept until the search passes it, so all the searches of one pass read the text once.
 */
function finder(text: string, word: string): (from: number) => number {
  let found = -2;
  return (from) => {
    if (found === -1 || found >= from) return found;
    for (let i = text.indexOf(word[0], from); i >= 0; i = text.indexOf(word[0], i + 1)) {
      if (hasAt(text, i, word)) return (found = i);
    }
    return (found = -1);
  };
}

/** Whether `<name` opens a tag at `at`: the name followed by white space, `/`, `>` or the end. */
function tagAt(text: string, at: number, name: string): boolean {
  if (!hasAt(text, at, `<${name}`)) return false;
  const next = text.charCodeAt(at + name.length + 1);
  return Number.isNaN(next) || next === 0x2f || next === 0x3e || next === 0x20 || (next >= 9 && next <= 13);
}

/** Text with every `<…>` replaced by a space; a `<` never closed is left as it is. */
export function stripTags(text: string): string {
  let out = '';
  let last = 0;
  for (let open = text.indexOf('<'); open >= 0; ) {
    const close = text.indexOf('>', open + 1);
    if (close < 0) break;
    out += `${text.slice(last, open)} `;
    last = close + 1;
    open = text.indexOf('<', last);
  }
  return out + text.slice(last);
}

/** Text with every `<!-- … -->` replaced by a space; a comment never closed is left as it is. */
export function stripComments(text: string): string {
  let out = '';
  let last = 0;
  for (let open = text.indexOf('<!--'); open >= 0; ) {
    const close = text.indexOf('-->', open + 4);
    if (close < 0) break;
    out += `${text.slice(last, open)} `;
    last = close + 3;
    open = text.indexOf('<!--', last);
  }
  return out + text.slice(last);
}

/** The content of the first `<title …>…</title>`, or '' when there is none. */
function titleOf(html: string): string {
  const open = finder(html, '<title');
  for (let at = open(0); at >= 0; at = open(at + 1)) {
    if (!tagAt(html, at, 'title')) continue;
    const end = html.indexOf('>', at);
    const close = end < 0 ? -1 : finder(html, '</title>')(end + 1);
    return close < 0 ? '' : html.slice(end + 1, close);
  }
  return '';
}

/** Tags that belong to a page's head or frame, removed from a fragment before it becomes a body. */
const FRAME = ['html', '/html', 'meta', 'link', 'base', '/head'];

/**
 * A fragment's title, and the fragment without its doctype, `<html>`, head (with what it holds, when it is closed),
 * title and meta, link and base tags: what a page without `<body>` puts in its body.
 */
export function headless(html: string): { title: string; body: string } {
  const gt = finder(html, '>');
  const headEnd = finder(html, '</head>');
  const titleEnd = finder(html, '</title>');
  let body = '';
  let last = 0;
  for (let at = html.indexOf('<'); at >= 0; ) {
    const end = gt(at + 1);
    if (end < 0) break;
    let cut = -1;
    if (hasAt(html, at, '<!doctype') || FRAME.some((name) => tagAt(html, at, name))) cut = end + 1;
    else if (tagAt(html, at, 'head')) cut = headEnd(end + 1) >= 0 ? headEnd(end + 1) + '</head>'.length : end + 1;
    else if (tagAt(html, at, 'title') && titleEnd(end + 1) >= 0) cut = titleEnd(end + 1) + '</title>'.length;
    if (cut < 0) {
      at = html.indexOf('<', at + 1);
      continue;
    }
    body += html.slice(last, at);
    last = cut;
    at = html.indexOf('<', cut);
  }
  return { title: titleOf(html), body: body + html.slice(last) };
}
