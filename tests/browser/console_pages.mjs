// Drives `ac console` in a real Chromium (Debian's /usr/bin/chromium through playwright-core)
// for console_browser_test.cpp, which started the console on a DR pair and reads back with
// kubectl what the Upgrade dialog wrote. Env: CONSOLE_URL (with ?token=), WEB_DIR, SCREENSHOT_DIR,
// CHROMIUM. Prints one "ok <step>" line per step; exits 1 with the failed step's reason.
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';

// playwright-core is installed in web/ (npm ci there), not beside this file.
const { chromium } = createRequire(`${process.env.WEB_DIR}/package.json`)('playwright-core');
const url = process.env.CONSOLE_URL;
const shots = process.env.SCREENSHOT_DIR;
const base = url.slice(0, url.indexOf('/?'));
mkdirSync(shots, { recursive: true });

function ok(step) { console.log(`ok ${step}`); }

// Tab through the page (or the open modal dialog) and return the controls never focused.
async function unreachedByKeyboard(page, scope) {
  const total = await page.evaluate((scopeSelector) => {
    document.querySelectorAll('[data-kb]').forEach((c) => c.removeAttribute('data-kb'));
    const root = document.querySelector(scopeSelector);
    const controls = [...root.querySelectorAll('a[href], button, select, input, summary')]
      .filter((c) => !c.disabled && c.offsetParent !== null);
    controls.forEach((c, i) => { c.dataset.kb = String(i); });
    document.querySelectorAll('[data-kb-seen]').forEach((c) => c.removeAttribute('data-kb-seen'));
    return controls.length;
  }, scope);
  for (let i = 0; i < total * 2 + 4; ++i) {
    await page.keyboard.press('Tab');
    await page.evaluate(() => { const a = document.activeElement; if (a && a.dataset.kb) a.dataset.kbSeen = '1'; });
  }
  return page.evaluate((scopeSelector) => [...document.querySelector(scopeSelector).querySelectorAll('[data-kb]')]
    .filter((c) => !c.dataset.kbSeen).map((c) => c.outerHTML.slice(0, 80)), scope);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
  headless: true,
  timeout: 30000,
});
let failed = false;
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.setDefaultTimeout(20000);
try {
  // 401 without the token (and with a wrong one), on pages and API alike.
  for (const [path, headers] of [['/', {}], ['/api/clusters', {}], ['/api/dr', { Authorization: 'Bearer nope' }]]) {
    const response = await fetch(base + path, { headers });
    assert.equal(response.status, 401, `${path} without the token`);
  }
  const denied = await page.goto(base + '/');
  assert.equal(denied.status(), 401);
  ok('401 without the token');

  // With the token: the cookie is set and the token leaves the address bar.
  await page.goto(url);
  assert.ok(!page.url().includes('token='), `the token stays in the address: ${page.url()}`);
  await page.waitForSelector('article.cluster[data-cluster="global"]');
  assert.match(await page.textContent('article.cluster[data-cluster="global"]'), /current 4\.1\.0/);
  const card = await page.textContent('article.cluster[data-cluster="global"]');
  assert.match(card, /Failed for 4\.2\.0.*1 of 2 checks passed/s, 'the last preflight summary');
  assert.match(card, /AdminAckRequired.*kubectl -n cpaas-system patch configmap admin-acks/s, 'the fix of the failed check');
  ok('clusters page');

  // Live: requesting the upgrade changes the cvsh; the watch brings it to the page (no reload).
  await page.evaluate(() => { window.notReloaded = true; });
  await page.click('#upgrade-global');
  await page.waitForSelector('dialog[open] #request-ack');
  assert.deepEqual(await unreachedByKeyboard(page, 'dialog[open]'), [], 'keyboard in the request dialog');
  await page.click('#request-ack');
  assert.match(await page.textContent('dialog[open]'), /4\.1\.0\s*4\.2\.0/);
  await page.click('#request-start');
  await page.click('#request-confirm');
  await page.waitForFunction(() => /request submitted/.test(document.querySelector('#request-message').textContent));
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => /requested 4\.2\.0/.test(document.querySelector('article.cluster[data-cluster="global"]').textContent));
  assert.equal(await page.evaluate(() => window.notReloaded), true);
  await page.screenshot({ path: `${shots}/clusters.png`, fullPage: true });
  ok('clusters page live through the watch');
  const clusterKeys = await unreachedByKeyboard(page, 'body');
  assert.deepEqual(clusterKeys, [], 'controls the keyboard does not reach on Clusters');
  ok('keyboard reaches every control on Clusters');

  // Functional Components and the Upgrade dialog.
  await page.click('a[href="#/clusters/global/components"]');
  await page.waitForSelector('#components');
  await page.click('#open-upgrade');
  await page.waitForSelector('dialog[open] #target-acp-base');
  const offered = (id) => page.$$eval(`#${id} option`, (options) => options.map((o) => o.textContent));
  assert.deepEqual(await offered('target-logging'), ['Do not upgrade'], 'the 4.2.1 trap: no lower version offered');
  assert.match(await page.textContent('dialog[open]'), /not offered here \(a downgrade: the 4\.2\.1 known issue\)/);
  assert.equal(await page.inputValue('#target-acp-base'), '4.2.0');
  assert.equal(await page.isDisabled('#target-kubernetes'), true, 'Kubernetes is optional, off by default');
  await page.selectOption('#target-monitoring', '4.1.5');
  await page.selectOption('#target-tools', '');  // Do not upgrade
  const dialogKeys = await unreachedByKeyboard(page, 'dialog[open]');
  assert.deepEqual(dialogKeys, [], 'controls the keyboard does not reach in the Upgrade dialog');
  ok('keyboard reaches every control in the Upgrade dialog');
  await page.screenshot({ path: `${shots}/upgrade-dialog.png`, fullPage: true });
  await page.click('#dialog-review-button');
  await page.waitForSelector('#dialog-confirm');
  const review = await page.textContent('#dialog-review');
  assert.match(review, /tools: Do not upgrade/);
  assert.match(review, /monitoring: 4\.1\.0 → 4\.1\.5/);
  await page.click('#dialog-confirm');
  await page.waitForFunction(() => /Requested\./.test(document.querySelector('#dialog-message').textContent));
  await page.screenshot({ path: `${shots}/upgrade-dialog-done.png`, fullPage: true });
  ok('upgrade dialog applied');
  await page.keyboard.press('Escape');

  // DR pair: leader, lag plot with points, "Check now" reports the standby-only key.
  await page.goto(base + '/#/dr');
  await page.waitForSelector('#leader');
  const leader = await page.textContent('#leader');
  assert.match(leader, /^etcd-sync-\d+$/, `leader: ${leader}`);
  const points = Number(await page.getAttribute('#lag-plot', 'data-points'));
  assert.ok(points >= 1, `lag points: ${points}`);
  await page.waitForSelector('#lag-plot canvas');
  ok(`DR leader ${leader}, lag plot with ${points} points`);
  await page.click('#check-now');
  await page.waitForSelector('#check-surplus');
  const surplus = await page.textContent('#check-surplus');
  assert.match(surplus, /standby-only/);
  ok('check now lists the standby-only key as surplus');
  await page.waitForSelector('#gates table');
  assert.match(await page.textContent('#gates'), /consistency/);
  assert.match(await page.textContent('main'), /Resume with: ac adm dr upgrade --to 4\.2\.0/);
  await page.screenshot({ path: `${shots}/dr.png`, fullPage: true });
  ok('gates and journal on the DR page');
  const drKeys = await unreachedByKeyboard(page, 'body');
  assert.deepEqual(drKeys, [], 'controls the keyboard does not reach on DR');
  ok('keyboard reaches every control on DR');
} catch (error) {
  failed = true;
  console.log(`FAILED: ${error.message}`);
  await page.screenshot({ path: `${shots}/failure.png`, fullPage: true }).catch(() => {});
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
