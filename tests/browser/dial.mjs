// Click-to-dial on the agent desk in headless Chromium (issue 16), driven by
// tests/tests/browser_dial.rs. The agent's phone (SIPp, answering) is registered and a carrier
// (SIPp on 127.0.0.2) is the customer before the script starts.
//   1. log in as SB_USER (English), sign in to the queues;
//   2. dial SB_DENIED (an emergency number) in the "Call a customer" field: the human refusal
//      shows in the panel; axe-core in English, then in Korean (the refusal said again in
//      Korean); print "DENIED";
//   3. dial SB_NUMBER: the panel says the phone rings, the call's pop shows the customer
//      SB_CUSTOMER (their number with a "Call" button) with no waits, the status follows the
//      call to its end; wrap up with SB_CODE;
//   4. call again with the "Call" button of that call's history row: a new pop, the call's
//      end, wrap up with SB_AGAIN_CODE: print "PASSED".
import { check, checkAccessibility, env, logIn, messagesOf, openPage, run, screenshot, signal, stepper, text, waitState, waitStatus } from './lib.mjs';

const url = env('SB_URL');
const user = env('SB_USER');
const password = env('SB_PASSWORD');
const denied = env('SB_DENIED');
const number = env('SB_NUMBER');
const code = env('SB_CODE');
const againCode = env('SB_AGAIN_CODE');
const customer = env('SB_CUSTOMER');
const CALL_TIMEOUT_MS = Number(process.env.SB_CALL_TIMEOUT_MS || 30000);
const step = stepper('dial.mjs');
const en = messagesOf('en');
const ko = messagesOf('ko');
const fill = (template, vars) => template.replace(/\{(\w+)\}/g, (_, k) => vars[k]);


async function dial(page, what) {
  await page.fill('#dial-number', what);
  await page.click('#dial-submit');
  await page.waitForFunction(() => {
    const s = document.getElementById('dial-status');
    return !s.hidden && s.dataset.status !== '';
  });
  return { status: await page.getAttribute('#dial-status', 'data-status'), said: await text(page, '#dial-status') };
}

await run('dial', async (browser, state) => {
  const { page, problems } = await openPage(browser, { locale: 'en-US' });
  state.page = page;
  state.problems = problems;

  step(`logging in as ${user}`);
  await page.goto(`${url}/agent`);
  await page.waitForSelector('#login-form', { state: 'visible' });
  await logIn(page, user, password);
  await waitState(page, 'logged_out');
  await page.click('#acd-login');
  await waitState(page, 'available');

  step(`dialling the denied ${denied}`);
  const refused = await dial(page, denied);
  check(refused.status === 'error', `dialling ${denied}: status ${refused.status}, "${refused.said}"`);
  const wantEn = fill(en['dial.error.number_denied'], { number: denied });
  check(refused.said === wantEn, `the refusal reads "${refused.said}", expected "${wantEn}"`);
  check((await page.getAttribute('#dial-status', 'data-reason')) === 'number_denied', 'refused for another reason');
  // Chromium logs the 403 the test provoked.
  const kept = problems.filter((p) => !p.includes('status of 403'));
  problems.splice(0, problems.length, ...kept);
  check(await page.isHidden('#call-details'), 'a pop after a refused dial');
  await checkAccessibility(page, 'agent desk with a refused dial (en)');
  await screenshot(page, 'dial-denied-en');

  await page.selectOption('#lang-select', 'ko');
  const wantKo = fill(ko['dial.error.number_denied'], { number: denied });
  await page.waitForFunction((w) => document.getElementById('dial-status').textContent === w, wantKo);
  check((await text(page, '#dial-submit')) === ko['dial.submit'], 'the Call button is not in Korean');
  await checkAccessibility(page, 'agent desk with a refused dial (ko)');
  await screenshot(page, 'dial-denied-ko');
  signal('DENIED');

  step(`dialling ${number}`);
  const placed = await dial(page, number);
  check(placed.status === 'calling', `dialling ${number}: status ${placed.status}, "${placed.said}"`);
  check(placed.said === fill(ko['dial.calling'], { number }), `progress reads "${placed.said}"`);
  const callId = await page.getAttribute('#dial-status', 'data-call-id');
  check(callId, 'no call id after the dial');

  await followCall(page, callId, code);
  const first = (await historyOf(page)).find((r) => r.callId === callId);
  check(first && first.dial, `the history has no Call button for the call: ${JSON.stringify(await historyOf(page))}`);

  step(`calling ${first.dial} again from the history`);
  await page.click(`#history-rows tr[data-call-id="${callId}"] button[data-dial]`);
  await page.waitForFunction(
    (id) => {
      const s = document.getElementById('dial-status');
      return s.dataset.status === 'calling' && s.dataset.callId && s.dataset.callId !== id;
    },
    callId,
  );
  const again = await page.getAttribute('#dial-status', 'data-call-id');
  await followCall(page, again, againCode);
});

/** History rows: the call id and the number of the row's Call button. */
function historyOf(page) {
  return page.$$eval('#history-rows tr', (trs) =>
    trs.map((tr) => {
      const b = tr.querySelector('button[data-dial]');
      return { callId: tr.dataset.callId, dial: b ? b.dataset.dial : null };
    }),
  );
}

/** The placed call `id`: its pop, its end, its wrap-up with `withCode`. */
async function followCall(page, id, withCode) {
  step(`waiting for the pop of call ${id}`);
  await page.waitForFunction((want) => document.getElementById('call').dataset.callId === want, id, {
    timeout: CALL_TIMEOUT_MS,
  });
  await page.waitForSelector('#call-details', { state: 'visible' });
  const name = await text(page, '#customer-name');
  check(name === customer, `the pop shows "${name}", not ${customer}`);
  const phones = await page.$$eval('#customer-phones button[data-dial]', (bs) => bs.map((b) => b.getAttribute('aria-label')));
  check(phones.length === 1, `the customer's numbers have no Call button: ${phones}`);
  check(await page.isHidden('#waited-in-queue'), 'a click-to-dial pop shows a wait in queue');
  check(await page.isHidden('#waited-total'), 'a click-to-dial pop shows a total wait');
  check(await page.isEnabled('#wrap-up-code'), 'wrap-up not enabled after the pop');
  await checkAccessibility(page, 'agent desk on a dialled call (ko)');
  await screenshot(page, `dial-call-${withCode}-ko`);

  step('waiting for the call to end');
  await waitStatus(page, ['ended'], CALL_TIMEOUT_MS);

  step(`wrapping up with ${withCode}`);
  await page.selectOption('#wrap-up-code', withCode);
  await page.fill('#wrap-up-notes', 'called from the desk');
  await page.click('#wrap-up-save');
  await page.waitForFunction(
    (want) => {
      const m = document.getElementById('message');
      return m.textContent === want || m.classList.contains('error');
    },
    fill(ko['wrap.saved'], { code: ko[`code.${withCode}`] }),
    { timeout: 15000 },
  );
  const said = await text(page, '#message');
  const want = fill(ko['wrap.saved'], { code: ko[`code.${withCode}`] });
  check(said === want, `saving the wrap-up says "${said}", expected "${want}"`);
  await page.waitForFunction(
    (want) => Array.from(document.querySelectorAll('#history-rows tr')).some((tr) => tr.dataset.callId === want),
    id,
  );
  await screenshot(page, `dial-wrapped-up-${withCode}-ko`);
}
