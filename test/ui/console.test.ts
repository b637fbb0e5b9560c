// The admin console (/ui) in a real Chromium against the real service and engine: sign-in by role,
// a review with its findings at their lines, a rejection with its reason in the record and the audit
// log, a client's run from the generated form with live logs, limits changed and audited, axe-core
// on every page, and the Content-Security-Policy holding (no inline script, nothing but loopback).
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import supertest from 'supertest';
import { assertNoContainersLeft } from '../helpers/docker.js';
import { assertAccessible, eventually, SCREENSHOT_DIR, startConsole, type ConsoleHarness } from './browser.js';

// Line numbers matter: the test checks that each finding is shown at the line the review names.
const OVER_LIMIT_CODE = [
  '"""Sums a range and measures a tree (a test skill asking for more than the maximum)."""',
  '',
  '',
  'def depth(node):',
  '    return 1 + max((depth(c) for c in node.get("children", [])), default=0)',
  '',
  '',
  'def run(inp):',
  '    total = 0',
  '    for i in range(100000000):',
  '        total += i',
  '        if i > 10:',
  '            break',
  '    return {"total": total, "depth": depth(inp)}',
  '',
].join('\n');

const SLOW_LOG_CODE = [
  'import time',
  '',
  '',
  'def run(inp):',
  '    print("first line", flush=True)',
  '    time.sleep(2)',
  '    print("second line")',
  '    return {"done": True}',
  '',
].join('\n');

interface Finding { rule: string; line: number | null; file: string | null }

describe('admin console (/ui) in Chromium against the real service', function () {
  this.timeout(120_000);
  let h: ConsoleHarness;
  let admin: Page;

  before(async function () {
    h = await startConsole();
    admin = await h.signIn('admin');
  });

  after(async function () {
    await h?.close();
    if (h) await assertNoContainersLeft(h.t.dataDir);
  });

  it('signs an admin in with every page in the navigation, the key in sessionStorage only', async () => {
    const nav = admin.getByRole('navigation', { name: 'Pages' });
    for (const name of ['Overview', 'Reviews', 'Skills', 'Audit', 'Limits']) await nav.getByRole('link', { name }).waitFor();
    await admin.getByRole('heading', { name: 'Overview' }).waitFor();
    const storage = await admin.evaluate(() => ({ session: Object.values(sessionStorage), local: Object.keys(localStorage).length, cookies: document.cookie }));
    assert.deepEqual(storage, { session: [h.t.keys.admin], local: 0, cookies: '' });
    await admin.locator('[data-engine="reachable"]').waitFor();
    await assertAccessible(admin, 'Overview');
  });

  it('works from the keyboard: skip link first, then the pages in order, focus moved to the new page', async () => {
    const focused = () => admin.evaluate(() => {
      const active = document.activeElement as HTMLElement | null;
      return active?.id === 'main' ? '#main' : active?.textContent?.trim() ?? '';
    });
    await admin.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await admin.keyboard.press('Tab');
    assert.equal(await focused(), 'Skip to content');
    await admin.keyboard.press('Enter');
    assert.equal(await focused(), '#main');
    await admin.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      await admin.keyboard.press('Tab');
      order.push(await focused());
    }
    assert.deepEqual(order, ['Skip to content', 'Overview', 'Reviews', 'Skills', 'Audit', 'Limits']);
    await admin.keyboard.press('Enter');
    await admin.getByRole('heading', { name: 'Limits', level: 1 }).waitFor();
    await eventually(focused, '#main', 'focus moves to the new page');
  });

  it('refuses a wrong key at sign-in and keeps nothing', async () => {
    const page = await (await h.browser.newContext()).newPage();
    try {
      await page.goto(`${h.origin}/ui`);
      await page.getByLabel('API key').fill('not-a-key');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.length), 0);
      await assertAccessible(page, 'Sign-in');
    } finally {
      await page.context().close();
    }
  });

  it('shows an escalated skill in Reviews with each finding at its line, then rejects it with a reason', async () => {
    const created = await h.t.as('author').post('/v1/skills/create').send({
      name: 'greedy-sum', version: '1.0.0', description: 'Asks for 4 GiB of memory and one origin', runtime: 'python3', entrypoint: 'main.py', handler: 'run',
      limits: { memory_mb: 4096, timeout_ms: 5000 }, permissions: { network: ['https://api.example.com'] }, tags: ['test'], code: OVER_LIMIT_CODE,
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const findings = created.body.review.findings as Finding[];
    assert.ok(findings.some((f) => f.rule === 'limits-above-max'), JSON.stringify(findings));
    assert.ok(findings.some((f) => f.rule === 'permission-requested'), JSON.stringify(findings));
    assert.ok(findings.some((f) => f.rule === 'large-range' && f.file === 'main.py' && f.line === 10), JSON.stringify(findings));

    await admin.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Reviews' }).click();
    await admin.getByRole('heading', { name: 'greedy-sum@1.0.0' }).waitFor();
    await admin.getByText('created by').locator('strong', { hasText: 'author-key' }).waitFor();
    await admin.locator('.code-file[data-file="main.py"] .line[data-line="14"]').waitFor();
    for (const finding of findings) {
      const note = finding.line === null
        ? admin.locator(`.manifest-findings .finding[data-rule="${finding.rule}"]`)
        : admin.locator(`.code-file[data-file="${finding.file}"] .line[data-line="${finding.line}"] .finding[data-rule="${finding.rule}"]`);
      assert.equal(await note.count(), 1, `finding ${finding.rule} at ${finding.file}:${finding.line} is shown there`);
    }
    // The code is coloured (keywords get their class) and the over-limit request is marked.
    assert.ok(await admin.locator('.code-file[data-file="main.py"] .line[data-line="4"] .tok-keyword').count() >= 1);
    await admin.locator('.limits-asked tr.over', { hasText: 'memory_mb' }).waitFor();
    await admin.locator('.permissions code', { hasText: 'https://api.example.com' }).waitFor();
    await admin.locator('.decision', { hasText: 'Approving grants exactly these network origins: https://api.example.com' }).waitFor();
    await admin.screenshot({ path: path.join(SCREENSHOT_DIR, 'console-reviews.png'), fullPage: true });
    await assertAccessible(admin, 'Reviews');

    // No reason, no decision: the request is not even sent.
    await admin.getByRole('button', { name: 'Reject' }).click();
    await admin.getByRole('alert').filter({ hasText: 'A reason is required' }).waitFor();
    assert.equal((await h.t.as('admin').get('/v1/reviews')).body.reviews.length, 1);

    await admin.getByLabel('Reason (required)').fill('4 GiB of memory for a sum: not for this service');
    await admin.getByRole('button', { name: 'Reject' }).click();
    await admin.getByText('greedy-sum@1.0.0 rejected: now blocked.').waitFor();
    await admin.getByText('Nothing waits for a decision.').waitFor();

    const detail = await h.t.as('admin').get('/v1/skills/greedy-sum').expect(200);
    assert.equal(detail.body.versions[0].status, 'blocked');
    assert.equal(detail.body.versions[0].review_decision.reason, '4 GiB of memory for a sum: not for this service');

    await admin.goto(`${h.origin}/ui#/skills/greedy-sum`);
    await admin.locator('.badge.status-blocked').first().waitFor();
    await admin.locator('.human-decision', { hasText: 'Rejected by admin-key' }).filter({ hasText: 'not for this service' }).waitFor();

    await admin.goto(`${h.origin}/ui#/audit?event=review.reject`);
    const row = admin.locator('tr[data-event="review.reject"]', { hasText: 'greedy-sum@1.0.0' });
    await row.waitFor();
    assert.match(await row.innerText(), /admin-key[\s\S]*blocked[\s\S]*4 GiB of memory for a sum: not for this service/);
    await admin.locator('[data-chain="intact"]').waitFor();
    await assertAccessible(admin, 'Audit');
  });

  it('approves a skill asking for a network origin, granting exactly the origin shown', async () => {
    const created = await h.t.as('author').post('/v1/skills/create').send({
      name: 'fetcher', version: '1.0.0', description: 'Reaches one API', runtime: 'python3', entrypoint: 'main.py', handler: 'run',
      permissions: { network: ['https://api.example.com'] }, code: 'def run(inp):\n    return {"ok": True}\n',
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await admin.goto(`${h.origin}/ui#/reviews/fetcher@1.0.0`);
    await admin.getByRole('heading', { name: 'fetcher@1.0.0' }).waitFor();
    await admin.getByLabel('Reason (required)').fill('the API is ours');
    await admin.getByRole('button', { name: 'Approve' }).click();
    await admin.getByText('fetcher@1.0.0 approved: now active.').waitFor();
    const [version] = (await h.t.as('admin').get('/v1/skills/fetcher').expect(200)).body.versions;
    assert.deepEqual(version.approved_network, ['https://api.example.com']);
    assert.equal(version.review_decision.reason, 'the API is ours');
    await admin.goto(`${h.origin}/ui#/skills/fetcher`);
    await admin.getByText('Network origins approved: https://api.example.com').waitFor();
  });

  it('lets a client run word-count from the form generated from its input_schema, with logs and result', async () => {
    const client = await h.signIn('client');
    try {
      await client.getByRole('heading', { name: 'Skills' }).waitFor();
      await client.locator('tr[data-skill="word-count"]').waitFor();
      await assertAccessible(client, 'Skills');
      await client.getByRole('link', { name: 'word-count' }).click();
      await client.getByRole('heading', { name: 'Run word-count@1.0.0' }).waitFor();
      await client.getByLabel('text (required)').fill('one two three');
      await client.getByRole('button', { name: 'Run' }).click();
      await client.locator('.run-result .badge', { hasText: 'succeeded' }).waitFor();
      assert.deepEqual(JSON.parse(await client.getByLabel('Result').innerText()), { words: 3 });
      assert.equal((await client.locator('pre.logs').innerText()).trim(), 'counted 3 words');
      await client.screenshot({ path: path.join(SCREENSHOT_DIR, 'console-skill-run.png'), fullPage: true });
      await assertAccessible(client, 'Skill page');
    } finally {
      await client.context().close();
    }
  });

  it('streams a run\'s logs into the page as they happen, before the result', async () => {
    const created = await h.t.as('admin').post('/v1/skills/create').send({
      name: 'slow-log', version: '1.0.0', description: 'Logs, waits, logs', runtime: 'python3', entrypoint: 'main.py', handler: 'run',
      auto_promote: true, code: SLOW_LOG_CODE,
    });
    assert.equal(created.body.skill?.status, 'active', JSON.stringify(created.body));
    const client = await h.signIn('client');
    try {
      await client.goto(`${h.origin}/ui#/skills/slow-log`);
      await client.getByLabel('input').fill('{}');
      await client.getByRole('button', { name: 'Run' }).click();
      await client.locator('pre.logs', { hasText: 'first line' }).waitFor();
      // The skill sleeps 2 s between its lines: the first is on the page while the run goes on.
      assert.equal(await client.locator('.run-result').count(), 0, 'the first log line came before the result');
      assert.ok(!(await client.locator('pre.logs').innerText()).includes('second line'));
      await client.locator('.run-result .badge', { hasText: 'succeeded' }).waitFor();
      assert.match(await client.locator('pre.logs').innerText(), /first line\s+second line/);
    } finally {
      await client.context().close();
    }
  });

  it('shows a client neither Reviews, Limits nor Audit, and sends it back to Skills', async () => {
    const client = await h.signIn('client');
    try {
      const links = await client.getByRole('navigation', { name: 'Pages' }).getByRole('link').allInnerTexts();
      assert.deepEqual(links, ['Skills']);
      for (const page of ['reviews', 'limits', 'audit', 'overview']) {
        await client.goto(`${h.origin}/ui#/${page}`);
        await client.waitForURL(/#\/skills$/);
        await client.getByRole('heading', { name: 'Skills', exact: true }).waitFor();
      }
      await client.goto(`${h.origin}/ui#/skills/word-count`);
      await client.getByRole('heading', { name: 'Run word-count@1.0.0' }).waitFor();
      assert.equal(await client.getByRole('button', { name: /Uninstall|Promote/ }).count(), 0, 'no admin actions');
      assert.equal(await client.getByRole('heading', { name: 'Last runs' }).count(), 0);
    } finally {
      await client.context().close();
    }
  });

  it('shows an admin a skill\'s last runs, and promotes and uninstalls from the skill page', async () => {
    await admin.goto(`${h.origin}/ui#/skills/word-count`);
    await admin.locator('table.runs tr', { hasText: 'client-key' }).filter({ hasText: 'succeeded' }).first().waitFor();

    const draft = await h.t.as('author').post('/v1/skills/create').send({
      name: 'echo-draft', version: '1.0.0', description: 'Echoes', runtime: 'python3', entrypoint: 'main.py', handler: 'run', code: 'def run(inp):\n    return inp\n',
    });
    assert.equal(draft.body.skill?.status, 'draft', JSON.stringify(draft.body));
    await admin.goto(`${h.origin}/ui#/skills/echo-draft`);
    await admin.getByRole('button', { name: 'Promote' }).click();
    await admin.getByText('echo-draft@1.0.0 is active.').waitFor();
    await admin.locator('.summary .badge.status-active').waitFor();

    await admin.getByRole('button', { name: 'Uninstall 1.0.0…' }).click();
    await admin.getByRole('button', { name: 'Uninstall echo-draft@1.0.0 now' }).click();
    await admin.waitForURL(/#\/skills$/);
    await admin.locator('tr[data-skill="word-count"]').waitFor();
    assert.equal(await admin.locator('tr[data-skill="echo-draft"]').count(), 0);
    assert.equal((await h.t.as('admin').get('/v1/skills/echo-draft')).status, 404);
  });

  it('validates a limits change, saves it, and shows it in the audit log', async () => {
    await admin.goto(`${h.origin}/ui#/limits`);
    const defaultTimeout = admin.getByLabel('default timeout_ms');
    await defaultTimeout.waitFor();
    await assertAccessible(admin, 'Limits');
    const before = (await h.t.as('admin').get('/v1/admin/limits')).body;

    // Above the maximum: refused here, nothing sent.
    await defaultTimeout.fill(String(before.max.timeout_ms + 1));
    await admin.getByRole('button', { name: 'Save limits' }).click();
    await admin.getByText(`defaults.timeout_ms is above max.timeout_ms`).waitFor();
    assert.deepEqual((await h.t.as('admin').get('/v1/admin/limits')).body, before);

    // Below limit_policy.json's minimum: refused here too.
    const queueTimeout = admin.getByLabel('queue_timeout_ms');
    assert.equal(await queueTimeout.inputValue(), String(before.queue_timeout_ms));
    await queueTimeout.fill('0');
    await admin.getByRole('button', { name: 'Save limits' }).click();
    await admin.getByText('queue_timeout_ms must be at least 1').waitFor();
    await queueTimeout.fill(String(before.queue_timeout_ms));

    await defaultTimeout.fill('12345');
    await admin.getByRole('button', { name: 'Save limits' }).click();
    await admin.getByText('Saved.').waitFor();
    // The rest of the policy is kept as it was, queue_timeout_ms (optional in the contract) included.
    assert.deepEqual((await h.t.as('admin').get('/v1/admin/limits')).body, { ...before, defaults: { ...before.defaults, timeout_ms: 12345 } });
    assert.equal(typeof before.queue_timeout_ms, 'number');

    await admin.getByRole('link', { name: 'audit log' }).click();
    const row = admin.locator('tr[data-event="limits.update"]').first();
    await row.waitFor();
    assert.match(await row.innerText(), /admin-key[\s\S]*"timeout_ms":12345/);
  });

  it('draws the runs of the last minutes on the Overview, with outcomes', async () => {
    await admin.goto(`${h.origin}/ui#/overview`);
    await admin.locator('.chart rect.bar.run-succeeded').first().waitFor();
    const succeeded = admin.locator('table.outcomes tr', { hasText: 'succeeded' });
    assert.ok(Number(await succeeded.locator('td').innerText()) >= 2);
    await admin.locator(`[data-runtime="${h.t.service.engine.runtimeInForce()}"]`).waitFor();
    await assertAccessible(admin, 'Overview with runs');
  });

  it('lists skills and filters them by status, origin and tag', async () => {
    await admin.goto(`${h.origin}/ui#/skills`);
    await admin.locator('tr[data-skill="greedy-sum"]').waitFor();
    await admin.screenshot({ path: path.join(SCREENSHOT_DIR, 'console-skills.png'), fullPage: true });
    const shown = () => admin.locator('table.skills tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-skill')).sort());
    await admin.getByLabel('Status').selectOption('blocked');
    await eventually(shown, ['greedy-sum'], 'status blocked');
    await admin.getByLabel('Status').selectOption('');
    await admin.getByLabel('Origin').selectOption('bundled');
    await eventually(shown, ['date-diff', 'json-reshape', 'word-count'], 'origin bundled');
    await admin.getByLabel('Tag').selectOption('words');
    await eventually(shown, ['word-count'], 'origin bundled, tag words');
    assert.match(admin.url(), /origin=bundled/);
    assert.match(admin.url(), /tag=words/);
  });

  it('keeps its Content-Security-Policy: no inline script runs, and no request leaves 127.0.0.1', async () => {
    const res = await supertest(h.t.service.app).get('/ui').expect(200);
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.doesNotMatch(res.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'index.html has no inline script');
    assert.doesNotMatch(res.text, /\sstyle=|\son[a-z]+=/, 'index.html has no inline style or handler');

    const attempt = await admin.evaluate(async () => {
      const seen: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) => seen.push(e.effectiveDirective));
      const flags = window as unknown as Record<string, boolean>;
      const script = document.createElement('script');
      script.textContent = 'window.inlineScriptRan = true;';
      document.body.append(script);
      const holder = document.createElement('div');
      holder.innerHTML = '<img src="/ui/no-such-image" onerror="window.inlineHandlerRan = true">';
      document.body.append(holder);
      let fetched: string;
      try {
        // Another loopback address: were the policy to let it through, nothing outside would be reached.
        await fetch('http://127.0.0.2:9/leak');
        fetched = 'sent';
      } catch {
        fetched = 'refused';
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { inline: flags.inlineScriptRan === true, handler: flags.inlineHandlerRan === true, fetched, seen };
    });
    assert.equal(attempt.inline, false, 'an injected inline script did not run');
    assert.equal(attempt.handler, false, 'an inline event handler did not run');
    assert.equal(attempt.fetched, 'refused');
    assert.ok(attempt.seen.includes('script-src-elem') && attempt.seen.includes('connect-src'), JSON.stringify(attempt.seen));

    const elsewhere = h.requested.filter((url) => new URL(url).origin !== h.origin);
    assert.deepEqual(elsewhere, [], 'every request of the run went to the service on 127.0.0.1');
    assert.ok(h.requested.length > 20, 'the pages did make requests');
    // The console asks only for what the signed-in role may have: the one refusal is the wrong key at sign-in.
    const refused = (await h.t.as('admin').get('/v1/audit?event=auth.refused').expect(200)).body.events as Array<{ details: { path: string; reason: string } }>;
    assert.deepEqual(refused.map((e) => `${e.details.path} ${e.details.reason}`), ['/v1/me unknown key']);
  });
});
