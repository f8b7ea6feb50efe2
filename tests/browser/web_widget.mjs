// A visitor calls from the switch's demo bank page (tests/tests/web_calls.rs): headless
// Chromium with a fake microphone playing the test's 1 kHz WAV opens SB_URL (/demo), clicks
// the widget's "Call us", waits for the IVR, presses the keypad keys the test names, waits until
// an agent is connected and the page hears SB_EXPECT_HZ (AnalyserNode on the widget's audio),
// then closes the tab when the test says so.
// Lines on stdout: IVR, CONNECTED, PEAK <hz>, HEARD, TAB_CLOSED, PASSED. Stdin: `keys <digits>`,
// `close` (close the tab now), `done`.
import { check, checkAccessibility, env, signal, stepper, Failure } from './lib.mjs';
import { launchWithMicrophone, stdinCommands, waitFor, waitToHear } from './call_lib.mjs';

const step = stepper('web_widget');
const url = env('SB_URL');
const wav = env('SB_TONE_WAV');
const want = Number(env('SB_EXPECT_HZ', '440'));
const browser = await launchWithMicrophone(wav);
const command = stdinCommands();

const widgetState = (page) => page.evaluate(() => {
  const root = document.querySelector('.sbw');
  return root ? { state: root.getAttribute('data-state'), status: root.querySelector('.sbw-status').textContent } : null;
});

try {
  const context = await browser.newContext({ locale: 'en-US' });
  // Clean tones: no echo cancellation, gain control or noise suppression (the page's option).
  await context.addInitScript(() => {
    window.switchboardWidgetAudio = { echoCancellation: false, autoGainControl: false, noiseSuppression: false };
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`web_widget page error: ${e.message}`));
  step('open the demo page and call');
  await page.goto(url);
  const call = page.getByRole('button', { name: 'Call us' });
  await call.waitFor({ timeout: 10000 });
  await checkAccessibility(page, 'the demo page, idle');
  // From the keyboard: the button takes the focus and Enter calls.
  await call.focus();
  await page.keyboard.press('Enter');
  let last = null;
  await waitFor('the IVR', 20000, async () => {
    last = await widgetState(page);
    check(last && last.state !== 'ended', `the call ended: ${JSON.stringify(last)}`);
    return last.state === 'ivr';
  }).catch((e) => { throw new Failure(`${e.message} (last: ${JSON.stringify(last)})`); });
  signal('IVR');
  const keys = await command('keys');
  for (const k of keys) {
    step(`press ${k} on the keypad`);
    await page.getByRole('button', { name: `Key ${k}` }).click();
    await new Promise((r) => setTimeout(r, 300));
  }
  await waitFor('an agent', 30000, async () => {
    last = await widgetState(page);
    check(last && last.state !== 'ended', `the call ended: ${JSON.stringify(last)}`);
    return last.state === 'connected';
  }).catch((e) => { throw new Failure(`${e.message} (last: ${JSON.stringify(last)})`); });
  signal('CONNECTED');
  await checkAccessibility(page, 'the widget in a call');
  check(await page.getByRole('button', { name: 'Hang up' }).isVisible(), 'a Hang up button');
  check(await page.getByRole('button', { name: 'Mute' }).isVisible(), 'a Mute button');
  step(`wait until the page hears ${want} Hz`);
  const peak = await waitToHear(page, '.sbw-audio', want);
  signal(`PEAK ${peak.hz.toFixed(1)}`);
  signal('HEARD');
  await command('close');
  step('close the tab mid-call');
  await page.close();
  signal('TAB_CLOSED');
  await command('done');
  signal('PASSED');
} catch (e) {
  console.error(`web_widget: FAILED: ${e.message}`);
  process.exitCode = 1;
} finally {
  process.stdin.destroy();
  await browser.close();
}
