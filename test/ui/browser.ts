// Drives Debian's chromium (no browser download is possible here) through playwright-core against
// a real service on loopback, and checks pages with axe-core. Shared by the console's tests.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../server/src/paths.js';
import type { Role } from '../../server/src/config/index.js';
import { startTestService, type TestService } from '../helpers/service.js';

const require = createRequire(import.meta.url);
const axeSource = (require('axe-core') as { source: string }).source;

export const CHROMIUM_PATH = process.env.TE_CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * Where the test run's screenshots go: docs/, which the README shows, with TE_UPDATE_SCREENSHOTS=1;
 * otherwise a temporary folder, so a test run leaves the work tree as it found it.
 */
export const SCREENSHOT_DIR = process.env.TE_UPDATE_SCREENSHOTS === '1' ? path.join(PROJECT_ROOT, 'docs') : path.join(tmpdir(), 'te-console-screenshots');

export interface ConsoleHarness {
  t: TestService;
  browser: Browser;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** Every URL any page of the run asked for. */
  requested: string[];
  /** A fresh browser context signed in with the key of `role`, on the console's first page. */
  signIn(role: Role): Promise<Page>;
  close(): Promise<void>;
}

export async function startConsole(overrides: Parameters<typeof startTestService>[0] = {}): Promise<ConsoleHarness> {
  const t = await startTestService({ ...overrides, server: { host: '127.0.0.1', port: 0 } });
  const server = await t.service.listen();
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
  const requested: string[] = [];
  const contexts: BrowserContext[] = [];
  return {
    t, browser, origin, requested,
    async signIn(role) {
      const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
      contexts.push(context);
      context.on('request', (request) => requested.push(request.url()));
      const page = await context.newPage();
      await page.goto(`${origin}/ui`);
      await page.getByLabel('API key').fill(t.keys[role]);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText(`Signed in as`).waitFor();
      return page;
    },
    async close() {
      for (const context of contexts) await context.close();
      await browser.close();
      await t.close();
    },
  };
}

/** Runs axe-core on the page as it is; no serious or critical violation may be left. */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  // Through the DevTools protocol: the page's CSP (rightly) refuses any script a test would inject.
  const session = await page.context().newCDPSession(page);
  try {
    await session.send('Runtime.evaluate', { expression: axeSource });
  } finally {
    await session.detach();
  }
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const result = await axe.run(document);
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious, [], `${what}: axe-core found serious or critical violations`);
}

/** Polls `read` until it returns `expected` (deep equality), or fails with the last value after `timeoutMs`. */
export async function eventually<T>(read: () => Promise<T>, expected: T, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!isDeepStrictEqual(last, expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await read();
  }
  assert.deepEqual(last, expected, what);
}
