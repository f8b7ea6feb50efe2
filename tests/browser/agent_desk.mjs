// The agent page in headless Chromium, driven by tests/tests/browser.rs:
//   1. open SB_URL/agent, log in as SB_USER/SB_PASSWORD, sign in to the queues with the page's
//      button and wait for the state "available";
//   2. print "READY" on stdout: the Rust test now places a SIPp call to the queue;
//   3. wait for the screen pop, check the customer's name (SB_CUSTOMER) and grade (SB_GRADE,
//      highlighted when vip);
//   4. wait for "Call ended." (the page saw the call's contact row), pick SB_CODE, write
//      SB_NOTES, save, and check that the history shows the code and the notes.
// Any failure: a screenshot in SB_SHOTS (if set), a message on stderr, exit code 1.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') {
    console.error(`agent_desk.mjs: set ${name}`);
    process.exit(2);
  }
  return v;
};

const url = env('SB_URL');
const user = env('SB_USER');
const password = env('SB_PASSWORD');
const customer = env('SB_CUSTOMER');
const grade = env('SB_GRADE');
const code = env('SB_CODE');
const notes = env('SB_NOTES');
const shots = process.env.SB_SHOTS || '';
const executablePath = process.env.SB_CHROMIUM || '/usr/bin/chromium';
// Long enough for a queued SIPp call to be placed, answered and hung up (about 5 s).
const CALL_TIMEOUT_MS = Number(process.env.SB_CALL_TIMEOUT_MS || 30000);

const args = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');

function step(what) {
  console.error(`agent_desk.mjs: ${what}`);
}

class Failure extends Error {}

function check(ok, message) {
  if (!ok) throw new Failure(message);
}

const browser = await chromium.launch({ executablePath, headless: true, args });
let page;
let failed = false;
const problems = [];
try {
  const context = await browser.newContext();
  page = await context.newPage();
  page.setDefaultTimeout(10000);
  // Content-Security-Policy violations and script errors fail the test.
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // (A 401 from /api/session before login is expected: Chromium logs such answers as
  // "Failed to load resource"; the page reports real failures on its message line.)
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      problems.push(`console error: ${m.text()}`);
    }
  });

  step(`opening ${url}/`);
  const response = await page.goto(`${url}/`);
  check(response && response.ok(), `GET / answered ${response && response.status()}`);
  check(new URL(page.url()).pathname === '/agent', `/ did not lead to /agent but ${page.url()}`);

  step(`logging in as ${user}`);
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('#login-button');
  await page.waitForSelector('#desk', { state: 'visible' });
  const agentId = await page.textContent('#agent-id');
  check(agentId.trim() !== '', 'no agent id shown after login');

  step(`signing agent ${agentId} in to the queues`);
  await page.click('#acd-login');
  await page.waitForFunction(
    () => document.getElementById('agent-state').textContent === 'available',
  );
  // Nothing offered yet: no wrap-up possible.
  check(await page.isDisabled('#wrap-up-code'), 'wrap-up enabled before any call');
  // The pause reasons are the switch's configured list.
  const reasons = await page.$$eval('#pause-reason option', (os) => os.map((o) => o.value));
  check(
    reasons.includes('lunch') && reasons.includes('training'),
    `pause reasons not loaded from the switch: ${reasons.join(', ')}`,
  );
  process.stdout.write('READY\n');

  step('waiting for the screen pop');
  await page.waitForSelector('#call-details', { state: 'visible', timeout: CALL_TIMEOUT_MS });
  const name = (await page.textContent('#customer-name')).trim();
  check(name === customer, `screen pop shows customer "${name}", expected "${customer}"`);
  const shownGrade = (await page.textContent('#customer-grade')).trim();
  check(shownGrade === grade, `screen pop shows grade "${shownGrade}", expected "${grade}"`);
  const gradeClass = (await page.getAttribute('#customer-grade', 'class')) || '';
  check(
    gradeClass.split(' ').includes('vip') === (grade === 'vip'),
    `grade highlight "${gradeClass}" does not match grade ${grade}`,
  );
  check(await page.isEnabled('#wrap-up-code'), 'wrap-up not enabled after the pop');

  step('waiting for the call to end');
  await page.waitForFunction(
    () => document.getElementById('call-status').textContent === 'Call ended.',
    null,
    { timeout: CALL_TIMEOUT_MS },
  );

  const state = await page.textContent('#agent-state');
  check(state === 'wrap up', `after the call the agent is "${state}", expected wrap up`);

  step(`wrapping up with ${code}`);
  await page.selectOption('#wrap-up-code', code);
  await page.fill('#wrap-up-notes', notes);
  await page.check('#wrap-up-ready');
  await page.click('#wrap-up-save');
  await page.waitForFunction(
    () => /^wrap-up saved/.test(document.getElementById('message').textContent)
      || document.getElementById('message').className === 'error',
  );
  const message = (await page.textContent('#message')).trim();
  check(message === `wrap-up saved: ${code}`, `saving the wrap-up: ${message}`);

  step('checking the history');
  const rows = await page.$$eval('#history-rows tr', (trs) =>
    trs.map((tr) => Array.from(tr.cells, (td) => td.textContent)),
  );
  // Columns: date, channel, queue, agent, outcome, wrap-up code, notes.
  const row = rows.find((cells) => cells[5] === code && cells[6] === notes);
  check(row, `history has no row with ${code} and the notes; rows: ${JSON.stringify(rows)}`);
  check(row[3] === agentId, `the wrapped-up row's agent is "${row[3]}", expected ${agentId}`);
  check(row[1] === 'voice inbound', `the wrapped-up row's channel is "${row[1]}"`);
  check(row[4] === 'answered', `the wrapped-up row's outcome is "${row[4]}"`);
  // The notes were shown as text, not parsed as markup.
  const markup = await page.$$eval('#history-rows b, #history-rows script', (n) => n.length);
  check(markup === 0, 'notes were inserted as HTML');

  // "Save and ready" ended the wrap-up time early.
  await page.waitForFunction(
    () => document.getElementById('agent-state').textContent === 'available',
  );
  check(problems.length === 0, problems.join('\n'));
  process.stdout.write('PASSED\n');
} catch (e) {
  failed = true;
  console.error(`agent_desk.mjs: FAILED: ${e instanceof Failure ? e.message : e.stack || e}`);
  if (problems.length) console.error(problems.join('\n'));
  if (page) {
    try {
      const shown = await page.textContent('#message');
      if (shown) console.error(`agent_desk.mjs: the page's message line: ${shown}`);
      if (shots) {
        mkdirSync(shots, { recursive: true });
        const file = join(shots, 'agent_desk-failure.png');
        await page.screenshot({ path: file, fullPage: true });
        console.error(`agent_desk.mjs: screenshot in ${file}`);
      }
    } catch (shotError) {
      console.error(`agent_desk.mjs: no screenshot: ${shotError.message}`);
    }
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
