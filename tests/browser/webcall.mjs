// A browser calls the WebRTC gateway's leg (tests/tests/webcall.rs): headless Chromium with a
// fake microphone playing the test's 1 kHz WAV opens the test server's page, which offers over
// WebSocket; once connected the script waits until the page hears 440 Hz (AnalyserNode), then
// closes the tab and reports it. The test steers it through stdin lines: `dtmf <digits>`
// (presses them), `done` (the test has seen the leg end: exit).
// Lines on stdout: CONNECTED, PRESSED, PEAK <hz>, HEARD, TAB_CLOSED, PASSED.
import { check, env, signal, stepper, Failure } from './lib.mjs';
import { launchWithMicrophone, stdinCommands, waitFor } from './call_lib.mjs';

const step = stepper('webcall');
const url = env('SB_URL');
const wav = env('SB_TONE_WAV');
const want = Number(env('SB_EXPECT_HZ', '440'));
const browser = await launchWithMicrophone(wav);
const command = stdinCommands();

try {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`webcall page error: ${e.message}`));
  step('open the page and call');
  await page.goto(url);
  await page.evaluate(() => window.startCall());
  await waitFor('the connection', 15000, async () => {
    const s = await page.evaluate(() => ({ state: window.call.state, error: window.call.error }));
    check(!s.error, `the page failed: ${s.error}`);
    check(s.state !== 'failed', 'the connection failed');
    return s.state === 'connected';
  });
  signal('CONNECTED');
  const digits = await command('dtmf');
  step(`press ${digits}`);
  await page.evaluate((d) => window.pressDigits(d), digits);
  signal('PRESSED');
  step(`wait until the page hears ${want} Hz`);
  let last = null;
  await waitFor(`${want} Hz in the remote audio`, 15000, async () => {
    last = await page.evaluate(() => window.peak());
    // ±30 Hz: bins are 5.4 Hz wide, and headless Chromium's playout lands 1–4 % low
    // (425–436 Hz measured for 440 Hz), still far from the microphone's 1 kHz or silence.
    return last && last.db > -80 && Math.abs(last.hz - want) < 30;
  }).catch((e) => {
    throw new Failure(`${e.message} (last peak: ${JSON.stringify(last)})`);
  });
  signal(`PEAK ${last.hz.toFixed(1)}`);
  signal('HEARD');
  step('close the tab');
  await page.close();
  signal('TAB_CLOSED');
  // Chromium stays up (a closed tab, not a killed browser) until the test has seen the leg end.
  await command('done');
  signal('PASSED');
} catch (e) {
  console.error(`webcall: FAILED: ${e.message}`);
  process.exitCode = 1;
} finally {
  process.stdin.destroy(); // else the open pipe keeps node alive
  await browser.close();
}
