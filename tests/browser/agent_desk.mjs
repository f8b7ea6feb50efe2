// The agent's journey on the desk in headless Chromium (a browser set to SB_LOCALE, Korean by
// default), driven by tests/tests/browser.rs. Before the script starts, the test has put one
// call through to the agent (from the unknown number SB_UNKNOWN) and logged the agent out.
//   1. open SB_URL/, log in as SB_USER: the previous call's pop is NOT shown (issue 9); sign
//      in to the queues, pause for lunch and come back; print "READY";
//   2. the test calls again from SB_UNKNOWN: the pop says "unknown caller" and shows the earlier
//      call in the history; after the call, wrap up with `resolved` and ready: the history
//      still has the earlier row (issue 9: it showed the saved row alone); print "NEXT";
//   3. the test calls from the customer's number: the pop shows SB_CUSTOMER with grade SB_GRADE
//      (highlighted when vip) and is announced to screen readers; after the call, wrap up with
//      SB_CODE and SB_NOTES (markup, shown as text), "ready" ends the wrap-up: print "PASSED".
// Screenshots of each step go to SB_SHOTS (agent-*.png); axe-core checks the desk with a pop.
import { check, checkAccessibility, env, logIn, messagesOf, openPage, run, screenshot, signal, stepper, text, waitState, waitStatus } from './lib.mjs';

const url = env('SB_URL');
const user = env('SB_USER');
const password = env('SB_PASSWORD');
const customer = env('SB_CUSTOMER');
const grade = env('SB_GRADE');
const code = env('SB_CODE');
const notes = env('SB_NOTES');
const unknown = env('SB_UNKNOWN');
const locale = env('SB_LOCALE', 'ko-KR');
const lang = locale.split('-')[0];
// Long enough for a queued SIPp call to be placed, answered and hung up (about 5 s).
const CALL_TIMEOUT_MS = Number(process.env.SB_CALL_TIMEOUT_MS || 30000);
const step = stepper('agent_desk.mjs');

const m = messagesOf(lang);

/** The history's rows as raw values (data-value) per column. */
const historyRows = (page) =>
  page.$$eval('#history-rows tr', (trs) =>
    trs.map((tr) => ({ callId: tr.dataset.callId, cells: Array.from(tr.cells, (td) => td.dataset.value) })),
  );

async function wrapUp(page, withCode, withNotes) {
  await page.selectOption('#wrap-up-code', withCode);
  await page.fill('#wrap-up-notes', withNotes);
  await page.check('#wrap-up-ready');
  await page.click('#wrap-up-save');
  await page.waitForFunction(() => /\b(info|error)\b/.test(document.getElementById('message').className));
  const kind = await page.getAttribute('#message', 'class');
  const said = await text(page, '#message');
  const want = m['wrap.saved'].replace('{code}', m[`code.${withCode}`]);
  check(kind.includes('info') && said === want, `saving the wrap-up says "${said}", expected "${want}"`);
  // The page says "saved" first and reads the history again after: wait for the saved row
  // (the checks that follow say what is missing if it never comes).
  await page
    .waitForFunction(
      ([c, n]) =>
        Array.from(document.querySelectorAll('#history-rows tr')).some(
          (tr) => tr.cells[5]?.dataset.value === c && (tr.cells[6]?.dataset.value ?? '') === n,
        ),
      [withCode, withNotes],
      { timeout: 10_000 },
    )
    .catch(() => {});
}

await run('agent_desk', async (browser, state) => {
  const { page, problems } = await openPage(browser, { locale });
  state.page = page;
  state.problems = problems;

  step(`opening ${url}/ in ${locale}`);
  const response = await page.goto(`${url}/`);
  check(response && response.ok(), `GET / answered ${response && response.status()}`);
  check(new URL(page.url()).pathname === '/agent', `/ did not lead to /agent but ${page.url()}`);
  await page.waitForSelector('#login-form', { state: 'visible' });

  step(`logging in as ${user}`);
  await logIn(page, user, password);
  await waitState(page, 'logged_out');
  const agentId = (await text(page, '#agent-id')).trim();
  check(agentId !== '', 'no agent id shown after login');
  // The screen-pop stream starts with the agent's latest pop (the test's earlier call): wait
  // until the page has judged it, then it must not be on screen.
  await page.waitForFunction(() => Number(document.getElementById('call').dataset.popsReceived) >= 1);
  check(await page.isHidden('#call-details'), "the previous call's pop is shown after login");
  check((await page.getAttribute('#call-status', 'data-status')) === 'none', 'a call status before any call');
  check(await page.isDisabled('#wrap-up-code'), 'wrap-up enabled before any call');
  await screenshot(page, `agent-logged-in-${lang}`);

  step('signing in to the queues, pausing for lunch, coming back');
  await page.click('#acd-login');
  await waitState(page, 'available');
  check((await text(page, '#my-state')) === m['state.available'], 'the header shows the state');
  await page.selectOption('#pause-reason', 'lunch');
  await page.click('#pause');
  await waitState(page, 'paused');
  const paused = await text(page, '#agent-state');
  check(paused === `${m['state.paused']} · ${m['reason.lunch']}`, `paused for lunch reads "${paused}"`);
  // By keyboard: the focused "Pause" button is disabled now; the panel keeps the focus.
  await page.focus('#unpause');
  await page.keyboard.press('Enter');
  await waitState(page, 'available');
  signal('READY');

  step(`waiting for the pop of the unknown caller ${unknown}`);
  await page.waitForSelector('#call-details', { state: 'visible', timeout: CALL_TIMEOUT_MS });
  check((await text(page, '#customer-name')) === m['pop.unknown'], 'an unknown caller is named so');
  check((await text(page, '#caller')) === unknown, `caller ${await text(page, '#caller')}`);
  const before = await historyRows(page);
  check(before.length >= 1, `the unknown caller's earlier call is not in the history: ${JSON.stringify(before)}`);
  await waitStatus(page, ['ended'], CALL_TIMEOUT_MS);
  check((await page.getAttribute('#agent-state', 'data-state')) === 'wrap_up', 'wrap-up after the call');
  await wrapUp(page, 'resolved', '');
  const after = await historyRows(page);
  for (const row of before) {
    check(
      after.some((r) => r.callId === row.callId),
      `after the wrap-up the history lost call ${row.callId}: ${JSON.stringify(after)}`,
    );
  }
  check(after.length === before.length + 1, `history after the wrap-up: ${JSON.stringify(after)}`);
  check(after.some((r) => r.cells[5] === 'resolved'), 'the saved wrap-up is in the history');
  await waitState(page, 'available');
  signal('NEXT');

  step('waiting for the pop of the known customer');
  await page.waitForFunction(
    (name) => document.getElementById('customer-name').textContent === name,
    customer,
    { timeout: CALL_TIMEOUT_MS },
  );
  const shownGrade = await page.getAttribute('#customer-grade', 'data-grade');
  check(shownGrade === grade, `screen pop shows grade "${shownGrade}", expected "${grade}"`);
  const gradeClass = (await page.getAttribute('#customer-grade', 'class')) || '';
  check(gradeClass.split(' ').includes('vip') === (grade === 'vip'), `grade highlight "${gradeClass}"`);
  const announced = await text(page, '#pop-announcer');
  check(announced.includes(customer), `the screen reader hears "${announced}"`);
  check(await page.isEnabled('#wrap-up-code'), 'wrap-up not enabled after the pop');
  await checkAccessibility(page, `agent desk with a pop (${lang})`);
  await screenshot(page, `agent-pop-${lang}`);

  step('waiting for the call to end');
  await waitStatus(page, ['ended'], CALL_TIMEOUT_MS);
  check((await page.getAttribute('#agent-state', 'data-state')) === 'wrap_up', 'wrap-up after the call');

  step(`wrapping up with ${code}`);
  await wrapUp(page, code, notes);
  const rows = await historyRows(page);
  // Columns: date, channel, queue, agent, outcome, wrap-up code, notes.
  const row = rows.find((r) => r.cells[5] === code && r.cells[6] === notes);
  check(row, `history has no row with ${code} and the notes; rows: ${JSON.stringify(rows)}`);
  check(row.cells[3] === agentId, `the wrapped-up row's agent is "${row.cells[3]}", expected ${agentId}`);
  check(row.cells[1] === 'voice_inbound', `the wrapped-up row's channel is "${row.cells[1]}"`);
  check(row.cells[4] === 'answered', `the wrapped-up row's outcome is "${row.cells[4]}"`);
  const shownCells = await page.$$eval('#history-rows tr:first-child td', (tds) => tds.map((td) => td.textContent));
  check(shownCells.includes(m[`code.${code}`]), `the code's human name is shown: ${shownCells}`);
  check(shownCells.includes(m['channel.voice_inbound']), `the channel's human name is shown: ${shownCells}`);
  // The notes were shown as text, not parsed as markup.
  const markup = await page.$$eval('#history-rows b, #history-rows script', (n) => n.length);
  check(markup === 0, 'notes were inserted as HTML');

  // "Ready for the next call" ended the wrap-up time early.
  await waitState(page, 'available');
  await screenshot(page, `agent-wrapped-up-${lang}`);
});
