// The search page in a real browser (Debian's Chromium, driven by playwright-core) against the real server.
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMixedCorpus } from '../helpers/documents.js';
import { KABUL_ANSWER, KABUL_QUESTION, MODELS_DIR, SEED, removeDir, tempDir } from '../helpers/real.js';
import { runBuild, startServer } from '../helpers/server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = path.resolve('test-output');

describe('the search page in Chromium', () => {
  let root: string;
  let server: Awaited<ReturnType<typeof startServer>>;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is needed at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
    root = await tempDir();
    // The seed article beside documents of every format.
    const corpus = path.join(root, 'corpus');
    await writeMixedCorpus(corpus);
    await copyFile(SEED, path.join(corpus, path.basename(SEED)));
    const env = { CORPUS_DIR: corpus, INDEX_DIR: path.join(root, 'index'), MODELS_DIR };
    await runBuild(env);
    server = await startServer(env);
    // A fresh profile each run; the flags keep Chromium from reaching for the network.
    browser = await chromium.launchPersistentContext(path.join(root, 'chromium'), {
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage();
    await mkdir(OUTPUT, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (root) await removeDir(root);
  });

  it('answers the Kabul question with the answering sentence marked, using only the keyboard', async () => {
    await page.setViewportSize({ width: 1000, height: 800 });
    await page.goto(server.base);
    // The box has focus on load: type and press Enter.
    await page.keyboard.type(KABUL_QUESTION);
    await page.keyboard.press('Enter');
    const firstMark = page.locator('#results li').first().locator('mark');
    await firstMark.waitFor();
    expect(await firstMark.textContent()).toContain(KABUL_ANSWER);
    expect(await page.locator('#status').textContent()).toMatch(/passages?, best first/);
    await page.screenshot({ path: path.join(OUTPUT, 'search-page.png'), fullPage: true });

    // Tab reaches the first result's link to its place in the document, past the button and the document filter.
    for (let i = 0; i < 3; i++) await page.keyboard.press('Tab');
    const focused = await page.evaluate<string>('document.activeElement?.href ?? ""');
    expect(focused).toContain('/view?source=us-pakistan-afghanistan.txt');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/view\?/);
    expect(await page.locator('mark#hit').textContent()).toContain(KABUL_ANSWER);
  });

  it('says where a hit is, by title and page, and searches within the documents the filter names', async () => {
    await page.setViewportSize({ width: 1000, height: 800 });
    await page.goto(`${server.base}/?q=${encodeURIComponent('When was the cider press at Holloway Farm rebuilt?')}`);
    const first = page.locator('#results li').first();
    await first.locator('mark').waitFor();
    expect(await first.locator('a').textContent()).toBe('Orchard report 2026 — page 2 (reports/orchard-report.pdf)');
    await page.fill('#q', 'what joins a scion to a rootstock?');
    await page.fill('#source', 'notes/**');
    await page.press('#q', 'Enter');
    await page.waitForURL(/source=notes/);
    await page.locator('#results li a', { hasText: 'notes/' }).first().waitFor();
    const links = await page.locator('#results li a').allTextContents();
    expect(links.length).toBeGreaterThan(0);
    expect(links.every((t) => t.includes('(notes/'))).toBe(true);
    // The filter is kept in the address: reloading asks the same.
    await page.reload();
    expect(await page.inputValue('#source')).toBe('notes/**');
  });

  it('says when no passage answers, and shows the weaker matches only when asked', async () => {
    await page.goto(`${server.base}/?q=${encodeURIComponent('xyzzy plugh qwerty')}`);
    await page.locator('#status.message').waitFor();
    expect(await page.locator('#status').textContent()).toContain('No passage answers this question');
    expect(await page.locator('#results li').count()).toBe(0);
    const more = page.locator('#more');
    expect(await more.textContent()).toMatch(/^Show \d+ weaker match(es)?$/);
    await more.click();
    await page.locator('#results li').first().waitFor();
    const metas = await page.locator('#results li .meta').allTextContents();
    expect(metas.length).toBeGreaterThan(0);
    expect(metas.every((t) => t.includes('(weak match)'))).toBe(true);
    expect(await more.isHidden()).toBe(true);
  });

  it('says so when the document filter matches nothing', async () => {
    await page.goto(`${server.base}/?q=${encodeURIComponent(KABUL_QUESTION)}&source=${encodeURIComponent('nowhere/**')}`);
    await page.locator('#status.message').waitFor();
    expect(await page.locator('#status').textContent()).toBe('No passage matches in the documents matching nowhere/**.');
    expect(await page.locator('#results li').count()).toBe(0);
    expect(await page.locator('#more').isHidden()).toBe(true);
  });

  it("lists the index's documents, and one click searches only in one of them", async () => {
    await page.goto(server.base);
    const list = page.locator('#document-list li');
    await page.locator('#documents').waitFor();
    const listed = await fetch(`${server.base}/documents?limit=1000`).then((r) => r.json() as Promise<{ total: number; documents: { source: string }[] }>);
    expect(await page.locator('#document-count').textContent()).toBe(`Documents in the index (${listed.total})`);
    await page.locator('#documents summary').click();
    expect(await list.locator('button').allTextContents()).toEqual(listed.documents.map((d) => d.source));
    await list.locator('button', { hasText: 'reports/orchard-report.pdf' }).click();
    expect(await page.inputValue('#source')).toBe('reports/orchard-report.pdf');
    await page.fill('#q', 'When was the cider press rebuilt?');
    await page.press('#q', 'Enter');
    await page.locator('#results li').first().waitFor();
    const links = await page.locator('#results li a').allTextContents();
    expect(links.every((t) => t.includes('(reports/orchard-report.pdf)'))).toBe(true);
  });

  it('runs under a policy that allows no inline script', async () => {
    const violations: string[] = [];
    page.on('console', (m) => m.text().includes('Content Security Policy') && violations.push(m.text()));
    const res = await page.goto(server.base);
    expect(res?.headers()['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
    await page.locator('#documents').waitFor(); // the served script ran
    await page.goto(`${server.base}/docs`);
    await page.locator('#ui .swagger-ui').first().waitFor();
    expect(violations).toEqual([]);
  });

  it('shows the error the server gives', async () => {
    await page.goto(server.base);
    await page.fill('#q', 'x'.repeat(1001));
    await page.press('#q', 'Enter');
    await page.locator('#status.error').waitFor();
    expect(await page.locator('#status').textContent()).toContain('INVALID_REQUEST');
  });

  it('fits a phone screen without sideways scrolling', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`${server.base}/?q=${encodeURIComponent(KABUL_QUESTION)}`);
    await page.locator('#results li mark').first().waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(OUTPUT, 'search-page-phone.png'), fullPage: true });
  });
});
