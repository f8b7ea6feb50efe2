// A supervisor monitors an agent's call from the wallboard, driven by tests/tests/monitor.rs:
//   1. open SB_URL/wallboard, log in as SB_USER (a supervisor with a phone), wait for agent
//      SB_AGENT's row to offer listen / whisper / barge (the test put the agent on a call);
//      axe-core on the board with the buttons;
//   2. press Whisper: the page says the supervisor's phone rings (the test's phone answers on
//      its own); once Whisper is the pressed mode, print "WHISPER";
//   3. the test checks the tones and sets listen through the API: once Listen is pressed, press
//      Barge; once pressed, print "BARGE";
//   4. again the test sets listen: press Stop, wait until the buttons are back with none
//      pressed; in Korean (labels from ko.json), axe-core again.
// Screenshots (monitor-*.png) go to SB_SHOTS.
import { check, checkAccessibility, env, logIn, messagesOf, openPage, run, screenshot, signal, stepper } from './lib.mjs';

const url = env('SB_URL');
const user = env('SB_USER');
const password = env('SB_PASSWORD');
const agent = env('SB_AGENT');
const TIMEOUT_MS = 20000;
const step = stepper('monitor.mjs');
const en = messagesOf('en');
const ko = messagesOf('ko');

const button = (mode) => `tr[data-key="${agent}"] button[data-monitor="${mode}"]`;
const pressed = (page, mode) =>
  page.waitForFunction(
    (sel) => {
      const b = document.querySelector(sel);
      return b && b.getAttribute('aria-pressed') === 'true';
    },
    button(mode),
    { timeout: TIMEOUT_MS },
  );

await run('monitor', async (browser, state) => {
  const { page, problems } = await openPage(browser, { locale: 'en-GB', viewport: { width: 1600, height: 1000 } });
  state.page = page;
  state.problems = problems;

  step(`opening ${url}/wallboard`);
  const response = await page.goto(`${url}/wallboard`);
  check(response && response.ok(), `GET /wallboard: ${response && response.status()}`);
  await logIn(page, user, password);
  await page.waitForSelector(button('listen'), { timeout: TIMEOUT_MS });
  for (const mode of ['listen', 'whisper', 'barge']) {
    const b = await page.$(button(mode));
    check((await b.textContent()) === en[`monitor.${mode}`], `the ${mode} button reads ${await b.textContent()}`);
    check((await b.getAttribute('aria-pressed')) === 'false', `${mode} pressed before anything`);
  }
  check((await page.$(button('stop'))) === null, 'a Stop button before monitoring');
  await checkAccessibility(page, 'wallboard with monitor buttons');
  await screenshot(page, 'monitor-buttons');

  step('whisper');
  await page.click(button('whisper'));
  await page.waitForFunction(
    (w) => document.getElementById('message').textContent === w,
    en['monitor.ringing'].replace('{agent}', agent),
    { timeout: TIMEOUT_MS },
  );
  await pressed(page, 'whisper');
  signal('WHISPER');
  const by = await page.textContent(`tr[data-key="${agent}"] td.monitor`);
  check(by.includes(en['monitor.by'].replace('{account}', user)), `the row does not say who monitors: ${by}`);
  await screenshot(page, 'monitor-whisper');

  step('barge');
  await pressed(page, 'listen');
  await page.click(button('barge'));
  await pressed(page, 'barge');
  signal('BARGE');
  await pressed(page, 'listen');

  step('stop');
  await page.click(button('stop'));
  await page.waitForFunction((sel) => document.querySelector(sel) === null, button('stop'), { timeout: TIMEOUT_MS });
  check((await page.getAttribute(button('barge'), 'aria-pressed')) === 'false', 'barge still pressed after Stop');

  step('Korean');
  await page.selectOption('#lang-select', 'ko');
  await page.waitForFunction(
    ([sel, w]) => document.querySelector(sel)?.textContent === w,
    [button('whisper'), ko['monitor.whisper']],
    { timeout: TIMEOUT_MS },
  );
  await checkAccessibility(page, 'wallboard with monitor buttons (Korean)');
  await screenshot(page, 'monitor-ko');
});
