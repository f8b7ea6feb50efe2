// A supervisor on the wallboard in wall mode, driven by tests/tests/browser.rs:
//   1. open SB_URL/wallboard?mode=wall, log in as SB_USER (a supervisor), wait for the card of
//      queue SB_QUEUE with nobody waiting; print "READY" (the test puts a caller in the queue);
//   2. wait until the card shows 1 caller waiting, marked by colour and announced to screen
//      readers; print "WAITING" (the test then signs agent SB_AGENT in through the API);
//   3. wait until the agent's row says "available" (and, with no phone registered, "phone
//      offline") in words; print "PASSED".
// Screenshots (wallboard-*.png) go to SB_SHOTS.
import { check, checkAccessibility, env, logIn, openPage, run, screenshot, signal, stepper } from './lib.mjs';

const url = env('SB_URL');
const user = env('SB_USER');
const password = env('SB_PASSWORD');
const queue = env('SB_QUEUE');
const agent = env('SB_AGENT');
// The board refreshes on every ACD event and every 2 s: well within this.
const UPDATE_TIMEOUT_MS = 15000;
const step = stepper('wallboard.mjs');

/** The raw value (data-value) of figure `field` on the card of queue `q`. */
const figure = (page, q, field) =>
  page.evaluate(
    ([qq, f]) => {
      const box = document.querySelector(`[data-queue="${CSS.escape(qq)}"] [data-field="${f}"]`);
      return box ? { value: box.dataset.value, className: box.className, text: box.textContent } : null;
    },
    [q, field],
  );

async function waitFor(page, what, probe) {
  const deadline = Date.now() + UPDATE_TIMEOUT_MS;
  let last = null;
  while (Date.now() < deadline) {
    last = await probe();
    if (last.ok) return last;
    await page.waitForTimeout(200);
  }
  throw new Error(`${what}: last seen ${JSON.stringify(last)}`);
}

await run('wallboard', async (browser, state) => {
  const { page, problems } = await openPage(browser, { locale: 'en-GB', viewport: { width: 1920, height: 1080 } });
  state.page = page;
  state.problems = problems;

  step(`opening ${url}/wallboard?mode=wall`);
  const response = await page.goto(`${url}/wallboard?mode=wall`);
  check(response && response.ok(), `GET /wallboard: ${response && response.status()}`);
  await logIn(page, user, password);
  check(await page.evaluate(() => document.documentElement.classList.contains('wall')), 'wall mode from the URL');
  await waitFor(page, 'nobody waiting at first', async () => {
    const f = await figure(page, queue, 'waiting');
    return { ok: f && f.value === '0', f };
  });
  signal('READY');

  step('waiting for the caller to show');
  const seen = await waitFor(page, 'one caller waiting', async () => {
    const f = await figure(page, queue, 'waiting');
    return { ok: f && f.value === '1', f };
  });
  // Colour for meaning: a waiting caller tints the figure (with its word, "Callers waiting").
  check(/tone-(warn|bad)/.test(seen.f.className), `a waiting caller is not marked: ${seen.f.className}`);
  const longest = await figure(page, queue, 'longest_wait');
  check(longest.value !== '', `a waiting caller but no longest wait: ${JSON.stringify(longest)}`);
  // Regression: on a laptop the longest wait wrapped "0 / sec" over two lines.
  await page.setViewportSize({ width: 1280, height: 800 });
  const lines = await page.evaluate((qq) => {
    const value = document.querySelector(`[data-queue="${CSS.escape(qq)}"] [data-field="longest_wait"] .figure-value`);
    const range = document.createRange();
    range.selectNodeContents(value);
    return { text: value.textContent, lines: new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top))).size };
  }, queue);
  check(lines.lines === 1, `the longest wait "${lines.text}" takes ${lines.lines} lines on a laptop`);
  await screenshot(page, 'wallboard-laptop');
  await page.setViewportSize({ width: 1920, height: 1080 });
  const heard = await page.textContent('#waiting-announcer');
  check(heard.includes(queue), `the new caller was not announced: "${heard}"`);
  await checkAccessibility(page, 'wallboard with a caller waiting (wall mode)');
  await screenshot(page, 'wallboard-caller-waiting');
  signal('WAITING');

  // The agent logged in without a registered phone: available, but offered nothing, and the
  // wallboard says why in words.
  step(`waiting for agent ${agent} to show as available with the phone offline`);
  await waitFor(page, 'agent available', async () => {
    const cell = await page.evaluate((a) => {
      const td = document.querySelector(`#agents tbody tr[data-key="${CSS.escape(a)}"] td[data-state]`);
      return td ? { state: td.dataset.state, text: td.textContent } : null;
    }, agent);
    return { ok: cell && cell.state === 'available' && cell.text === 'Available · phone offline', cell };
  });
  await screenshot(page, 'wallboard-agent-available');
});
