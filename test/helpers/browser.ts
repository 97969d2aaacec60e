/**
 * Real headless Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH) driven by playwright-core for
 * the dashboard tests: launch it, open the page through a login link, collect uncaught page errors,
 * and say where screenshots go (docs/screenshots/ with UPDATE_SCREENSHOTS=1, else a temp dir). Without
 * Chromium or the built page it fails saying what to do — it never skips.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export const ROOT = join(import.meta.dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** node.md's flags: no sandbox (root), no GPU, and nothing that reaches for the closed network. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  browser: Browser;
  /** Where screenshots go. */
  shots: string;
  /** Uncaught errors of every page opened through `open`; tests expect none. */
  pageErrors: string[];
  /** A fresh tab (its own sessionStorage) logged in through a dashboard link, once the stream is live. */
  open(link: string, viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The dashboard tests need Chromium at ${CHROMIUM}: install it with "apt-get install -y chromium" (Debian) or set CHROMIUM_PATH`,
    );
  }
  if (!existsSync(join(ROOT, 'dist', 'ui', 'index.html')) || !existsSync(join(ROOT, 'dist', 'src'))) {
    throw new Error('The dashboard tests need the built package: run npm run build first');
  }
  const shots = process.env.UPDATE_SCREENSHOTS
    ? join(ROOT, 'docs', 'screenshots')
    : mkdtempSync(join(tmpdir(), 'switchboard-shots-'));
  mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const pageErrors: string[] = [];
  return {
    browser,
    shots,
    pageErrors,
    async open(link, viewport = { width: 1200, height: 760 }) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(err.message));
      await page.goto(link);
      await page.locator('#live.on').waitFor({ timeout: 5_000 });
      return page;
    },
    async close() {
      await browser.close();
      if (!process.env.UPDATE_SCREENSHOTS) rmSync(shots, { recursive: true, force: true });
    },
  };
}

/** The dashboard login link for a token, as `switchboard dashboard` prints it. */
export function loginLink(url: string, token: string): string {
  return `${url}/ui/#token=${encodeURIComponent(token)}`;
}
