// Browser steps of NocBrowserTest (run by it with node; playwright-core drives Debian's chromium). Exits non-zero on
// the first failed step. Env: NOC_URL, OPERATOR_TOKEN, VIEWER_TOKEN, LIVE_SITE, SPLIT_SITE, PREFIX, ROLLOUT_ID, SHOTS.
// "WAIT <what>" on stdout asks the test to make something happen; it answers "GO" on stdin.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const env = (k) => { if (!process.env[k]) throw new Error(`missing env ${k}`); return process.env[k]; };
const URL = env('NOC_URL');
const SHOTS = env('SHOTS');
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function waitFor(what) { console.log(`WAIT ${what}`); const l = await lines.next(); if (l.value !== 'GO') throw new Error(`no GO for ${what}`); }
function check(ok, message) { if (!ok) throw new Error(`check failed: ${message}`); console.log(`ok: ${message}`); }
const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
const T = { timeout: 20000 };

fs.mkdirSync(SHOTS, { recursive: true });
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gk8s-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, viewport: { width: 1280, height: 800 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const errors = [];
async function signIn(token) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(URL);
  await page.locator('#login').waitFor({ state: 'visible', ...T });
  await page.fill('#token', token);
  await page.keyboard.press('Enter');
  await page.locator('#live[data-state="live"]').waitFor(T);
  return page;
}
const rowStatus = (page, site) => page.locator(`tr[data-site="${site}"] td[data-col="status"]`);

try {
  // 1. load the overview as an operator: counts, the table, the live state
  const op = await signIn(env('OPERATOR_TOKEN'));
  await op.locator('tr[data-site]').first().waitFor(T);
  check(await op.locator('#live').textContent() === '● live', 'the page shows it is live');
  check(/\d+ sites/.test(await op.locator('#total').textContent()), 'the overview shows the fleet total');
  await shot(op, 'overview');

  // 2. filter with the keyboard: the "Split" count is a button; Enter filters the table to split sites
  await op.focus('button[data-status="split"]');
  await op.keyboard.press('Enter');
  await op.waitForFunction(() => location.hash.includes('status=split'), null, T);
  await rowStatus(op, env('SPLIT_SITE')).waitFor(T);
  const statuses = await op.locator('tbody td[data-col="status"]').allTextContents();
  check(statuses.length > 0 && statuses.every((s) => s.includes('Split')), `only split sites listed: ${statuses}`);
  check(await op.locator('button[data-status="split"]').getAttribute('aria-pressed') === 'true', 'the split filter is pressed');
  // free-text search through the form
  await op.goto(`${URL}#/`);
  await op.fill('input[name="q"]', env('PREFIX'));
  await op.keyboard.press('Enter');
  await op.waitForFunction((p) => location.hash.includes(`q=${p}`), env('PREFIX'), T);
  await op.locator(`tr[data-site="${env('LIVE_SITE')}"]`).waitFor(T);
  const ids = await op.locator('tr[data-site]').evaluateAll((rows) => rows.map((r) => r.dataset.site));
  check(ids.length >= 3 && ids.every((id) => id.startsWith(env('PREFIX'))), `search lists only ${env('PREFIX')}*: ${ids}`);
  await shot(op, 'filtered');

  // 3. drill into a site: both nodes with role and replication, the timeline
  await op.click(`tr[data-site="${env('LIVE_SITE')}"] a`);
  await op.locator('#site-title').waitFor(T);
  await op.locator('tr[data-node="b"]').waitFor(T);
  check((await op.locator('tr[data-node="a"]').textContent()).includes('primary'), 'node a is primary');
  check((await op.locator('tr[data-node="b"]').textContent()).includes('streaming'), 'node b streams');
  // the in-site upgrade's step, from both nodes' runtime reports (b installs, a waits for it)
  await op.locator('#site-upgrade').waitFor(T);
  check((await op.locator('#site-upgrade').textContent()).includes('upgrading standby (node b)'), 'the upgrade step');
  const failover = op.locator('li[data-type="pg.role-changed"]');
  check((await failover.textContent()).includes('failover'), 'the timeline marks the failover');
  const decision = op.locator('li[data-type^="witness."]').first();
  await decision.waitFor(T);
  check((await decision.textContent()).includes('witness decision'), 'the timeline marks the witness decision');
  await shot(op, 'site');
  // node-level changes (last seen) are not pushed: the site page re-reads itself within 10 s
  const row = await op.$('tr[data-node="a"]');
  await op.waitForFunction((el) => !el.isConnected, row, { timeout: 15000 });
  check(await op.locator('tr[data-node="a"]').count() === 1, 'the site page re-read itself');

  // 4. a live update: node b goes offline while the page is open; the page shows it without a reload
  await op.evaluate(() => { window.__notReloaded = true; });
  await op.goto(`${URL}#/?q=${env('LIVE_SITE')}`);
  await rowStatus(op, env('LIVE_SITE')).filter({ hasText: 'Healthy' }).waitFor(T);
  await waitFor('node-offline');
  await rowStatus(op, env('LIVE_SITE')).filter({ hasText: 'Degraded' }).waitFor(T);
  check(await op.evaluate(() => window.__notReloaded === true), 'the change arrived without a reload');
  await shot(op, 'live-update');

  // 5. pause a rollout after confirming what it does
  const id = env('ROLLOUT_ID');
  await op.goto(`${URL}#/rollouts`);
  const card = op.locator(`article[data-rollout="${id}"]`);
  await card.locator('button[data-action="pause"]').waitFor(T);
  await card.locator('button[data-action="pause"]').click();
  await op.locator('#confirm[open]').waitFor(T);
  const text = await op.locator('#confirm-text').textContent();
  check(text.includes(`rollout ${id}`) && text.includes('Nothing is rolled back'), `the confirmation names what happens: ${text}`);
  await op.fill('#confirm-reason', 'checking the canary');
  await shot(op, 'pause-confirm');
  await op.click('#confirm-ok');
  await card.locator('[data-field="phase"]', { hasText: 'paused' }).waitFor(T);
  await card.locator('button[data-action="resume"]').waitFor(T);
  await op.click(`article[data-rollout="${id}"] h3 a`);
  await op.locator('table[aria-label="Audit trail"] td', { hasText: 'pause' }).first().waitFor(T);
  await shot(op, 'rollout');
  await op.goto(`${URL}#/alerts`);
  await op.locator('section[data-alerts="pausedRollouts"] a', { hasText: `rollout ${id}` }).waitFor(T);
  await op.locator('section[data-alerts="split"] a', { hasText: env('SPLIT_SITE') }).waitFor(T);
  await shot(op, 'alerts');

  // the map: each located site at its place on the offline world map, its worst status as a symbol and in the table
  await op.click('a[data-nav="map"]');
  await op.locator('svg.world text[data-cell="60,11"][data-worst="split"]').waitFor({ state: 'attached', ...T });
  await op.locator('svg.world text[data-cell="53,13"]').waitFor({ state: 'attached', ...T });
  check((await op.locator('tr[data-cell="60,11"]').textContent()).includes('Split'), 'the table names the split place');
  check(await op.evaluate(() => new Promise((ok) => { const i = new Image(); i.onload = () => ok(i.width > 0);
    i.onerror = () => ok(false); i.src = 'world.svg'; })), 'the world map is served by the hub');
  await shot(op, 'map');

  // 6. a viewer sees no action buttons, and a forged action request is refused by the API
  const viewer = await signIn(env('VIEWER_TOKEN'));
  await viewer.goto(`${URL}#/rollouts`);
  await viewer.locator(`article[data-rollout="${id}"]`).waitFor(T);
  check(await viewer.locator('button[data-action]').count() === 0, 'a viewer sees no action buttons');
  const forged = await viewer.evaluate(async (rid) => {
    const res = await fetch(`/api/v1/rollouts/${rid}/resume`, { method: 'POST',
      headers: { Authorization: `Bearer ${sessionStorage.getItem('gk8s.noc.token')}` } });
    return res.status;
  }, id);
  check(forged === 403, `a viewer's forged resume is refused: ${forged}`);
  await shot(viewer, 'viewer-rollouts');
  check(errors.length === 0, `no script errors in the page: ${errors}`);
  await browser.close();
  console.log('all browser steps passed');
  process.exit(0);
} catch (e) {
  console.log(`FAILED: ${e.stack || e}`);
  try { for (const p of browser.pages()) await p.screenshot({ path: path.join(SHOTS, `failure-${browser.pages().indexOf(p)}.png`) }); } catch {}
  await browser.close();
  process.exit(1);
}
