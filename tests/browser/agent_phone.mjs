// The agent's browser phone (tests/tests/browser_phone.rs): headless Chromium whose fake
// microphone plays the test's 440 Hz WAV logs in as SB_USER on /agent, signs in to the queues,
// turns "Answer in the browser" on from the keyboard, and waits for a queue call to ring the
// page; answers it with Enter (the focus is on Answer), hears SB_EXPECT_HZ (AnalyserNode on the
// phone's audio), hangs up from the page when told, sees the desk go to wrap-up, then closes
// the tab when told.
// Lines on stdout: REGISTERED, RINGING, CONNECTED, PEAK <hz>, HEARD, HUNG_UP, WRAP_UP,
// TAB_CLOSED, PASSED. Stdin: `hangup`, `close`, `done`.
import { check, checkAccessibility, env, logIn, signal, stepper, Failure } from './lib.mjs';
import { launchWithMicrophone, stdinCommands, waitFor, waitToHear } from './call_lib.mjs';

const step = stepper('agent_phone');
const url = env('SB_URL');
const user = env('SB_USER');
const password = env('SB_PASSWORD');
const wav = env('SB_TONE_WAV');
const want = Number(env('SB_EXPECT_HZ', '1000'));
const browser = await launchWithMicrophone(wav);
const command = stdinCommands();

const phoneState = (page) => page.evaluate(() => ({
  state: document.getElementById('phone').dataset.state,
  status: document.getElementById('phone-status').textContent,
}));

async function waitPhone(page, want, ms) {
  let last = null;
  await waitFor(`the phone ${want}`, ms, async () => {
    last = await phoneState(page);
    check(last.state !== 'failed', `the phone failed: ${JSON.stringify(last)}`);
    return last.state === want;
  }).catch((e) => { throw new Failure(`${e.message} (last: ${JSON.stringify(last)})`); });
  return last;
}

try {
  const context = await browser.newContext({ locale: 'en-US' });
  await context.addInitScript(() => {
    window.switchboardPhoneAudio = { echoCancellation: false, autoGainControl: false, noiseSuppression: false };
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.on('pageerror', (e) => console.error(`agent_phone page error: ${e.message}`));
  step(`log in as ${user}`);
  await page.goto(`${url}/agent`);
  await page.waitForSelector('#login-form', { state: 'visible' });
  await logIn(page, user, password);
  await page.click('#acd-login');
  await waitFor('the agent signed in', 10000, async () => (await page.getAttribute('#agent-state', 'data-state')) === 'available');
  step('turn the browser phone on from the keyboard');
  const toggle = page.getByRole('checkbox', { name: 'Answer in the browser' });
  await toggle.focus();
  await page.keyboard.press('Space');
  const registered = await waitPhone(page, 'registered', 15000);
  check(registered.status.includes('2002'), `the status names the extension: ${registered.status}`);
  await checkAccessibility(page, 'the agent desk with the browser phone on');
  signal('REGISTERED');

  await waitPhone(page, 'ringing', 30000);
  signal('RINGING');
  await checkAccessibility(page, 'the browser phone ringing');
  check(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'phone-answer', 'Answer has the focus');
  step('answer with Enter');
  await page.keyboard.press('Enter');
  await waitPhone(page, 'talking', 15000);
  signal('CONNECTED');
  check(await page.getByRole('button', { name: 'Hang up' }).isVisible(), 'a Hang up button');
  check(await page.getByRole('button', { name: 'Hold' }).isVisible(), 'a Hold button');
  check(await page.getByRole('button', { name: 'Mute' }).isVisible(), 'a Mute button');

  step(`wait until the page hears ${want} Hz`);
  await waitFor('the remote audio', 10000, () => page.evaluate(() => Boolean(document.getElementById('phone-audio').srcObject)));
  const peak = await waitToHear(page, '#phone-audio', want);
  signal(`PEAK ${peak.hz.toFixed(1)}`);
  signal('HEARD');

  await command('hangup');
  step('hang up from the page');
  await page.getByRole('button', { name: 'Hang up' }).click();
  await waitPhone(page, 'registered', 10000);
  signal('HUNG_UP');
  await waitFor('the desk in wrap-up', 10000, async () => (await page.getAttribute('#agent-state', 'data-state')) === 'wrap_up');
  signal('WRAP_UP');

  await command('close');
  step('close the tab');
  await page.close();
  signal('TAB_CLOSED');
  await command('done');
  signal('PASSED');
} catch (e) {
  console.error(`agent_phone: FAILED: ${e.message}`);
  process.exitCode = 1;
} finally {
  process.stdin.destroy();
  await browser.close();
}
