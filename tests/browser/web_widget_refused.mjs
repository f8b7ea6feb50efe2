// The widget's refusals as a visitor sees them (tests/tests/web_calls.rs), in Korean (a ko-KR
// browser): the microphone refused (getUserMedia rejected with NotAllowedError, as when the
// visitor clicks "Block") gives the message to allow it and no call; the button comes back.
// Lines on stdout: REFUSED <status text>, PASSED.
import { check, env, launch, signal, stepper } from './lib.mjs';

const step = stepper('web_widget_refused');
const url = env('SB_URL');
const browser = await launch();
try {
  const context = await browser.newContext({ locale: 'ko-KR' });
  await context.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () =>
      Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  step('open the demo page in Korean and call');
  await page.goto(url);
  const call = page.getByRole('button', { name: '전화 상담' });
  await call.waitFor({ timeout: 10000 });
  await call.click();
  const status = page.getByRole('status');
  await page.waitForFunction(() => document.querySelector('.sbw').getAttribute('data-state') === 'ended');
  const said = (await status.textContent()).trim();
  check(said.includes('마이크 사용이 거부되었습니다'), `the refusal is explained: ${said}`);
  check(await call.isEnabled(), 'the button can be tried again');
  check(errors.length === 0, `page errors: ${errors.join('; ')}`);
  signal(`REFUSED ${said}`);
  signal('PASSED');
} catch (e) {
  console.error(`web_widget_refused: FAILED: ${e.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
