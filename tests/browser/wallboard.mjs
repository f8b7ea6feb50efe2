// The wallboard in headless Chromium, driven by tests/tests/browser.rs:
//   1. open SB_URL/wallboard, log in as SB_USER/SB_PASSWORD (a supervisor or admin) and wait
//      for the queue SB_QUEUE's row with nobody waiting; print "READY" (the Rust test then puts
//      a caller in the queue);
//   2. wait until the row shows 1 waiting; print "WAITING" (the test then logs agent SB_AGENT
//      in through the API);
//   3. wait until the agent's row shows "available"; print "PASSED".
// Any failure: a screenshot in SB_SHOTS (if set), a message on stderr, exit code 1.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const env = (name) => {
  const v = process.env[name];
  if (v === undefined || v === '') {
    console.error(`wallboard.mjs: set ${name}`);
    process.exit(2);
  }
  return v;
};

const url = env('SB_URL');
const user = env('SB_USER');
const password = env('SB_PASSWORD');
const queue = env('SB_QUEUE');
const agent = env('SB_AGENT');
const shots = process.env.SB_SHOTS || '';
const executablePath = process.env.SB_CHROMIUM || '/usr/bin/chromium';
// The board refreshes on every ACD event and every 2 s: well within this.
const UPDATE_TIMEOUT_MS = 15000;

const args = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');

const step = (what) => console.error(`wallboard.mjs: ${what}`);

/** The cells of the row keyed `key` in table `table`, or null. */
const rowOf = (page, table, key) =>
  page.evaluate(
    ([t, k]) => {
      const tr = document.querySelector(`#${t} tbody tr[data-key="${CSS.escape(k)}"]`);
      return tr ? Array.from(tr.cells, (td) => td.textContent) : null;
    },
    [table, key],
  );

async function waitForRow(page, table, key, ok, what) {
  const deadline = Date.now() + UPDATE_TIMEOUT_MS;
  let cells = null;
  while (Date.now() < deadline) {
    cells = await rowOf(page, table, key);
    if (cells && ok(cells)) return cells;
    await page.waitForTimeout(200);
  }
  throw new Error(`${what}: ${table} row ${key} is ${JSON.stringify(cells)}`);
}

const browser = await chromium.launch({ executablePath, headless: true, args });
let page;
let failed = false;
const problems = [];
try {
  page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(10000);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      problems.push(`console error: ${m.text()}`);
    }
  });

  step(`opening ${url}/wallboard`);
  const response = await page.goto(`${url}/wallboard`);
  if (!response || !response.ok()) throw new Error(`GET /wallboard: ${response && response.status()}`);
  await page.fill('#login-username', user);
  await page.fill('#login-password', password);
  await page.click('#login-button');
  await page.waitForSelector('#board', { state: 'visible' });
  // Columns: queue, waiting, longest wait, available, ringing, on call, wrap-up, paused, ...
  await waitForRow(page, 'queues', queue, (c) => c[1] === '0', 'nobody waiting at first');
  process.stdout.write('READY\n');

  step('waiting for the caller to show');
  const row = await waitForRow(page, 'queues', queue, (c) => c[1] === '1', 'one caller waiting');
  if (row[2] === '—') throw new Error(`a waiting caller but no longest wait: ${row}`);
  process.stdout.write('WAITING\n');

  step(`waiting for agent ${agent} to show as available`);
  // Columns: agent, name, state, for, extension, answered.
  await waitForRow(page, 'agents', agent, (c) => c[2] === 'available', 'agent available');
  if (problems.length) throw new Error(problems.join('\n'));
  process.stdout.write('PASSED\n');
} catch (e) {
  failed = true;
  console.error(`wallboard.mjs: FAILED: ${e.stack || e}`);
  if (problems.length) console.error(problems.join('\n'));
  if (page && shots) {
    try {
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: join(shots, 'wallboard-failure.png'), fullPage: true });
    } catch (shotError) {
      console.error(`wallboard.mjs: no screenshot: ${shotError.message}`);
    }
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
