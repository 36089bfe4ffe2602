// The pages people use: the search page, a document view with one passage marked, and the API docs page.
// Plain HTML with a little inline script and style: nothing to build, nothing fetched from elsewhere.

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `
  :root { color-scheme: light dark; --accent: #b45309; --muted: #6b7280; font-family: system-ui, sans-serif; }
  body { margin: 0 auto; max-width: 46rem; padding: 1rem; line-height: 1.5; }
  h1 { font-size: 1.4rem; margin: 0.5rem 0 1rem; }
  form { display: flex; gap: 0.5rem; flex-wrap: wrap; }
  input[type=search] { flex: 1 1 16rem; font-size: 1rem; padding: 0.6rem; border: 1px solid var(--muted); border-radius: 0.4rem; }
  button { font-size: 1rem; padding: 0.6rem 1.1rem; border-radius: 0.4rem; border: 0; background: var(--accent); color: white; cursor: pointer; }
  :focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
  ol { padding-left: 1.3rem; }
  li { margin: 1rem 0; }
  mark { background: #fde68a; color: #111; padding: 0 0.1rem; }
  .meta { color: var(--muted); font-size: 0.85rem; }
  .message { padding: 0.8rem; border-radius: 0.4rem; border: 1px solid var(--muted); }
  .error { border-color: #dc2626; }
  pre { white-space: pre-wrap; word-wrap: break-word; font-family: inherit; }
`;

/**
 * Where a hit is, as a reader says it: "title — page 3", "title › section"; empty when nothing is known. The command
 * line and the MCP tools say it so; the search page's script below says it the same way.
 */
export function placeOf(h: { title?: string; page?: number; section?: string }): string {
  const head = [h.title, h.page ? `page ${h.page}` : undefined].filter(Boolean).join(' — ');
  return h.section && h.section !== h.title ? `${head}${head ? ' ' : ''}› ${h.section}` : head;
}

/** The search page's script: asks /search, shows the hits with the answering sentence marked and where each is. */
const SEARCH_SCRIPT = `const form = document.getElementById('search');
const input = document.getElementById('q');
const sourceInput = document.getElementById('source');
const statusEl = document.getElementById('status');
const results = document.getElementById('results');
const more = document.getElementById('more');
const text = (tag, value, cls) => { const el = document.createElement(tag); el.textContent = value; if (cls) el.className = cls; return el; };

function show(hits) {
  results.replaceChildren();
  more.hidden = true;
  for (const hit of hits) {
    const li = document.createElement('li');
    const p = document.createElement('p');
    p.append(hit.text.slice(0, hit.highlight.start), text('mark', hit.highlight.text), hit.text.slice(hit.highlight.end));
    // Where the passage is, as a reader says it: "title — page 3", "title › section"; else its characters.
    const head = [hit.title, hit.page ? 'page ' + hit.page : ''].filter(Boolean).join(' — ');
    const place = hit.section && hit.section !== hit.title ? (head ? head + ' ' : '') + '› ' + hit.section : head;
    const link = text('a', place ? place + ' (' + hit.source + ')' : hit.source + ', characters ' + hit.start + '–' + hit.end);
    link.href = '/view?' + new URLSearchParams({ source: hit.source, start: hit.start, end: hit.end }) + '#hit';
    const meta = document.createElement('p');
    meta.className = 'meta';
    meta.append('score ' + hit.score.toFixed(3) + (hit.confident ? '' : ' (weak match)') + ' · ', link);
    li.append(p, meta);
    results.append(li);
  }
}

async function run(q, source) {
  statusEl.className = 'meta';
  statusEl.textContent = 'Searching…';
  try {
    const params = new URLSearchParams({ q, k: '10' });
    if (source) params.set('source', source);
    const res = await fetch('/search?' + params);
    const body = await res.json();
    if (!res.ok) {
      results.replaceChildren();
      more.hidden = true;
      statusEl.className = 'message error';
      statusEl.textContent = body.error ? body.error.message + ' (' + body.error.code + ')' : 'The search failed.';
      return;
    }
    // Only the hits likely to answer (scoring above what this index gives to questions it cannot answer) are shown;
    // the weaker ones wait behind a button.
    const answers = body.hits.filter((hit) => hit.confident);
    const weaker = body.hits.length - answers.length;
    show(answers);
    if (!body.hits.length) {
      statusEl.className = 'message';
      statusEl.textContent = source ? 'No passage matches in the documents matching ' + source + '.' : 'No passage matches that question. Try other words.';
    } else if (!answers.length) {
      statusEl.className = 'message';
      statusEl.textContent = 'No passage answers this question. Try other words, or see the weaker matches.';
    } else {
      statusEl.className = 'meta';
      statusEl.textContent = answers.length + (answers.length === 1 ? ' passage' : ' passages') + ', best first (' + body.tookMs + ' ms)';
    }
    if (weaker) {
      more.textContent = 'Show ' + weaker + (weaker === 1 ? ' weaker match' : ' weaker matches');
      more.onclick = () => { show(body.hits); more.hidden = true; };
      more.hidden = false;
    }
  } catch (err) {
    results.replaceChildren();
    more.hidden = true;
    statusEl.className = 'message error';
    statusEl.textContent = 'The server could not be reached.';
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const q = input.value.trim();
  if (!q) return;
  const source = sourceInput.value.trim();
  history.replaceState(null, '', '?' + new URLSearchParams(source ? { q, source } : { q }));
  run(q, source);
});
const asked = new URLSearchParams(location.search);
const initial = asked.get('q');
sourceInput.value = asked.get('source') || '';
if (initial) { input.value = initial; run(initial, sourceInput.value.trim()); }
`;

/** The search page: a question box, and results with the answering sentence marked. */
export function searchPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Search your documents</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Search your documents</h1>
<form id="search" role="search">
  <label for="q" class="meta" style="flex-basis:100%">Ask a question in plain language</label>
  <input id="q" name="q" type="search" autocomplete="off" required autofocus>
  <button type="submit">Search</button>
  <label for="source" class="meta" style="flex-basis:100%">In documents matching (optional): <code>reports/**</code>, <code>*.pdf</code></label>
  <input id="source" name="source" type="search" autocomplete="off" placeholder="all documents">
</form>
<p id="status" role="status" aria-live="polite" class="meta"></p>
<ol id="results" aria-label="Results"></ol>
<button id="more" type="button" hidden></button>
</main>
<script>
${SEARCH_SCRIPT}</script>
</body>
</html>`;
}

/** Characters shown on each side of the marked passage: a long document is shown around it, not whole. */
export const VIEW_CONTEXT_CHARS = 20_000;

/** The part of `text` around `start`…`end`, cut at blank lines (else at spaces) so that no word is cut in two. */
export function viewWindow(text: string, start: number, end: number, context = VIEW_CONTEXT_CHARS): { from: number; to: number } {
  let from = Math.max(0, start - context);
  let to = Math.min(text.length, end + context);
  if (from > 0) {
    const para = text.indexOf('\n\n', from);
    const space = text.indexOf(' ', from);
    from = para !== -1 && para < start ? para + 2 : space !== -1 && space < start ? space + 1 : start;
  }
  if (to < text.length) {
    const para = text.lastIndexOf('\n\n', to);
    const space = text.lastIndexOf(' ', to);
    to = para >= end ? para : space >= end ? space : end;
  }
  return { from, to };
}

/** What a view shows of a document: the passage kept within the text, the window around it, its page (PDF, from 1). */
export interface DocumentView {
  start: number;
  end: number;
  from: number;
  to: number;
  page?: number;
}

/** The part of `doc` a view shows around the passage `start`…`end`, and the page the passage starts on. */
export function documentView(doc: { text: string; pages?: number[] }, start: number, end: number): DocumentView {
  end = Math.min(end, doc.text.length);
  start = Math.min(start, end);
  const { from, to } = viewWindow(doc.text, start, end);
  if (!doc.pages) return { start, end, from, to };
  let page = 0;
  while (page + 1 < doc.pages.length && doc.pages[page + 1] <= start) page++;
  return { start, end, from, to, page: page + 1 };
}

/** A document's extracted text with one passage marked and scrolled to (#hit); the part around it when it is long. */
export function documentPage(source: string, doc: { text: string; title?: string; pages?: number[] }, start: number, end: number): string {
  const { text } = doc;
  const { start: markStart, end: markEnd, from, to, page } = documentView(doc, start, end);
  const where = [doc.title ? source : '', doc.pages ? `page ${page} of ${doc.pages.length}` : ''].filter(Boolean).join(' · ');
  const before = from > 0 ? `<p class="meta">… ${from.toLocaleString('en')} characters before</p>` : '';
  const after = to < text.length ? `<p class="meta">… ${(text.length - to).toLocaleString('en')} characters after</p>` : '';
  const heading = escapeHtml(doc.title ?? source);
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${heading}</title><style>${STYLE}</style></head>
<body><main>
<p><a href="/">← Search</a></p>
<h1>${heading}</h1>${where ? `<p class="meta">${escapeHtml(where)}</p>` : ''}${before}
<pre>${escapeHtml(text.slice(from, markStart))}<mark id="hit" tabindex="-1">${escapeHtml(text.slice(markStart, markEnd))}</mark>${escapeHtml(text.slice(markEnd, to))}</pre>${after}
</main></body></html>`;
}

/** The API reference, rendered by Swagger UI from files served here. */
export function docsPage(): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>passage-search API</title><link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui' });</script>
</body></html>`;
}
