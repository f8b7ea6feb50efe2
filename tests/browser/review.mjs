// A QA reviewer reviews a recorded call (issue 11, "Review"), driven by
// tests/tests/browser_review.rs. The call SB_CDR was recorded through the switch: the caller's
// SB_CALLER_HZ tone on the left channel, the agent's SB_AGENT_HZ on the right.
//   1. log in on SB_URL/review as SB_USER: the recent calls list links the call; open it: the
//      context shows the customer, grade, queue, wrap-up and the earlier contact;
//   2. play: the audio element really plays (currentTime advances); the analysed output holds
//      both tones; the agent's volume to 0 (keyboard, Home) leaves the caller's tone alone;
//      speed 1.5× applies; space pauses;
//   3. skip: −10 s at the start stays at 0, +10 s near the end stops at the end (buttons and
//      arrow keys);
//   4. "add comment at current time" is prefilled with mm:ss; a comment at 00:02 seeks the
//      player to 2 s when clicked; a comment past the end is refused;
//   5. an improvement point; the default form answered by clicking scores what the fixture
//      (SB_FIXTURE, checked against qa::score by crates/qa/tests/score_fixture.rs) says, and
//      the page's scorer gives every fixture case the same result;
//   6. reload: listening ad hoc keeps nothing (the page says so); axe in English and Korean;
//      screenshots; "PASSED".
import { readFileSync } from 'node:fs';
import { check, checkAccessibility, env, logIn, messagesOf, openPage, run, screenshot, stepper, text, waitAt } from './lib.mjs';

const url = env('SB_URL');
const user = env('SB_USER');
const password = env('SB_PASSWORD');
const cdr = env('SB_CDR');
const customer = env('SB_CUSTOMER');
const wrapCode = env('SB_WRAP_CODE');
const wrapNotes = env('SB_WRAP_NOTES');
const callerHz = Number(env('SB_CALLER_HZ'));
const agentHz = Number(env('SB_AGENT_HZ'));
const fixture = JSON.parse(readFileSync(env('SB_FIXTURE'), 'utf8'));
const step = stepper('review.mjs');
const m = messagesOf('en');
const ko = messagesOf('ko');
const fill = (template, vars) => template.replace(/\{(\w+)\}/g, (_, k) => vars[k]);

const audio = (page, expr) => page.evaluate((e) => {
  const a = document.getElementById('player-audio');
  return { currentTime: a.currentTime, duration: a.duration, paused: a.paused, playbackRate: a.playbackRate }[e];
}, expr);

/** Levels (dB) at the two tones and between them in what the player sends to the speakers. */
const levels = (page) => page.evaluate(([c, a]) => {
  const an = window.switchboardReview.review.player.analyser;
  const bins = new Float32Array(an.frequencyBinCount);
  an.getFloatFrequencyData(bins);
  const at = (hz) => {
    const k = Math.round((hz * an.fftSize) / an.context.sampleRate);
    return Math.max(...[-2, -1, 0, 1, 2].map((d) => bins[k + d]));
  };
  return { caller: at(c), agent: at(a), between: at((c + a) / 2) };
}, [callerHz, agentHz]);

const near = (x, want, within) => Math.abs(x - want) <= within;

await run('review', async (browser, state) => {
  const { page, problems } = await openPage(browser, { locale: 'en-US', viewport: { width: 1366, height: 768 } });
  state.page = page;
  state.problems = problems;

  step('logging in on /review: the list of recent calls links the call');
  await page.goto(`${url}/review`);
  await page.waitForSelector('#login-form');
  check((await text(page, '#login-title')) === m['review.login_title'], 'the login does not say it is for reviews');
  await checkAccessibility(page, 'review login (en)');
  await logIn(page, user, password);
  await page.waitForSelector('#calls:not([hidden])');
  check((await page.getAttribute('#app-nav a[href="/review"]', 'aria-current')) === 'page', 'the nav does not mark the review page');
  await page.click(`#call-rows a[href="/review?cdr=${encodeURIComponent(cdr)}"]`);
  await page.waitForSelector('#player-play');
  check(new URL(page.url()).searchParams.get('cdr') === cdr, `opened ${page.url()}`);

  step('the call context beside the player');
  await page.waitForFunction((c) => document.getElementById('ctx-customer').textContent === c, customer);
  check((await text(page, '#ctx-grade')) === m['grade.vip'], 'grade');
  check((await text(page, '#ctx-queue')) === 'support', 'queue');
  check((await text(page, '#ctx-agent')) === 'bob', 'agent');
  const code = await text(page, '#ctx-code');
  check(code === (m[`code.${wrapCode}`] || wrapCode), `wrap-up code reads "${code}"`);
  check((await text(page, '#ctx-notes')) === wrapNotes, 'wrap-up notes');
  check((await page.$$('#ctx-history-rows tr')).length === 1, 'the earlier contact is not listed');
  check((await page.$$('#ctx-ivr dt')).length === 2, 'the IVR choices are not listed');
  await page.waitForFunction(() => {
    const p = window.switchboardReview.review.player.peaks;
    return p && p.buckets > 0 && p.peaks.length === 2;
  });
  check((await page.$eval('#score', (e) => e.dataset.state)) === 'incomplete', 'a blank form has a score');

  step('play: the audio element plays and the analysed output holds both tones');
  await page.click('#player-play');
  await page.waitForFunction(() => document.getElementById('player-audio').currentTime > 0.6, null, { timeout: 15000 });
  check((await text(page, '#player-play')) === m['player.pause'], 'the button does not offer to pause');
  await page.waitForFunction(([c, a]) => {
    const an = window.switchboardReview.review.player.analyser;
    const bins = new Float32Array(an.frequencyBinCount);
    an.getFloatFrequencyData(bins);
    const at = (hz) => bins[Math.round((hz * an.fftSize) / an.context.sampleRate)];
    // The analyser smooths over frames: wait for both tones to rise out of the first silence.
    return at(c) > -50 && at(a) > -50;
  }, [callerHz, agentHz], { timeout: 5000 });
  const both = await levels(page);
  check(both.caller > both.between + 20 && both.agent > both.between + 20, `both tones: ${JSON.stringify(both)}`);
  check(Math.abs(both.caller - both.agent) < 10, `the tones are not alike in level: ${JSON.stringify(both)}`);

  step('the agent muted from the keyboard: the caller alone remains');
  await page.focus('#player-agent-volume');
  await page.keyboard.press('Home');
  check((await text(page, '#player-agent-volume-value')) === '0%', 'the agent volume does not read 0%');
  await page.waitForFunction(([c, a]) => {
    const an = window.switchboardReview.review.player.analyser;
    const bins = new Float32Array(an.frequencyBinCount);
    an.getFloatFrequencyData(bins);
    const at = (hz) => bins[Math.round((hz * an.fftSize) / an.context.sampleRate)];
    return at(a) < at(c) - 40;
  }, [callerHz, agentHz], { timeout: 5000 });
  const callerOnly = await levels(page);
  check(callerOnly.caller > callerOnly.between + 20, `the caller's tone is gone too: ${JSON.stringify(callerOnly)}`);
  check(callerOnly.agent < callerOnly.caller - 40, `the agent's tone stayed: ${JSON.stringify({ both, callerOnly })}`);

  step('speed 1.5×, then space pauses');
  await page.click('label[for="player-speed-1_5"]');
  check((await audio(page, 'playbackRate')) === 1.5, 'the speed did not apply');
  await page.evaluate(() => document.activeElement.blur());
  await page.keyboard.press('Space');
  await page.waitForFunction(() => document.getElementById('player-audio').paused);
  // The label follows the `pause` event, which comes after `paused` turns true.
  await page.waitForFunction((w) => document.getElementById('player-play').textContent === w, m['player.play'], { timeout: 3000 })
    .catch(() => check(false, 'the button does not offer to play'));

  step('skip ±10 s stops at both ends');
  const length = await audio(page, 'duration');
  check(length > 6 && length < 12, `the recording is ${length} s`);
  await page.click('#player-back');
  await waitAt(page, 0);
  await page.click('#player-forward');
  await waitAt(page, length);
  await page.keyboard.press('ArrowLeft');
  await waitAt(page, Math.max(0, length - 10));
  await page.keyboard.press('ArrowRight');
  await waitAt(page, length);
  const shown = await text(page, '#player-time');
  check(shown.endsWith(` / 00:${String(Math.floor(length)).padStart(2, '0')}`), `the time reads "${shown}"`);

  step('a comment at the current time, one at 00:02 that seeks, one past the end refused');
  const box = await page.locator('#player-wave').boundingBox();
  await page.mouse.click(box.x + box.width * 0.55, box.y + box.height / 2);
  await page.waitForFunction(() => !document.getElementById('player-audio').seeking);
  const now = await audio(page, 'currentTime');
  await page.click('#comment-new');
  const prefilled = await page.inputValue('#comment-at');
  check(prefilled === `00:${String(Math.floor(now)).padStart(2, '0')}`, `prefilled "${prefilled}" at ${now} s`);
  await page.fill('#comment-at', '00:02');
  await page.fill('#comment-text', 'interrupted the customer');
  await page.click('#comment-save');
  await page.waitForSelector('#comments li');
  // The comment form may have scrolled the waveform away: back into view, measured again.
  await page.locator('#player-wave').scrollIntoViewIfNeeded();
  const wave = await page.locator('#player-wave').boundingBox();
  await page.mouse.click(wave.x + wave.width * 0.9, wave.y + wave.height / 2);
  await page.waitForFunction(() => document.getElementById('player-audio').currentTime > 5);
  await page.click('#comments .comment-seek');
  await waitAt(page, 2);
  check(near(await audio(page, 'currentTime'), 2, 0.05), 'the comment did not seek to 2 s');
  await page.click('#comment-new');
  await page.fill('#comment-at', '09:59');
  await page.fill('#comment-text', 'too late');
  await page.click('#comment-save');
  await page.waitForSelector('#comment-error', { state: 'visible' });
  const refusal = await text(page, '#comment-error');
  const recordedMs = await page.evaluate(() => window.switchboardReview.review.rec.duration_ms);
  const end = `00:${String(Math.floor(recordedMs / 1000)).padStart(2, '0')}`;
  check(refusal === fill(m['review.comment_past_end'], { at: '09:59', end }), `refusal "${refusal}"`);
  check((await page.getAttribute('#comment-at', 'aria-invalid')) === 'true', 'the time is not marked invalid');
  check((await page.$$('#comments li')).length === 1, 'a comment past the end was kept');
  await page.click('#comment-cancel');

  step('an improvement point');
  await page.click('#point-add');
  await page.waitForSelector('#point-error', { state: 'visible' });
  await page.fill('#point-text', 'Let the customer finish before answering');
  await page.click('#point-add');
  await page.waitForSelector('#points li');

  step('the default form scored by clicking, as qa::score scores it');
  for (const c of fixture.default_form_cases) {
    for (const [q, a] of Object.entries(c.answers)) {
      const value = typeof a === 'object' ? `scale-${a.scale}` : a;
      await page.click(`label[for="q-${q}-${value}"]`);
    }
    const total = await text(page, '#score-total');
    check(total === c.expect.total.toFixed(2), `${c.name}: the page shows ${total}, qa::score ${c.expect.total}`);
    const critical = await page.$('#score-critical');
    check(Boolean(critical) === c.expect.critical_failed.length > 0, `${c.name}: critical failure shown wrongly`);
  }
    const scored = await page.evaluate(async (fx) => {
    const { score } = await import('/qa-form.js');
    const out = [];
    for (const c of fx.cases) {
      try {
        const s = score(fx.form, c.answers);
        out.push({ name: c.name, total: s.total, critical_failed: s.critical_failed, sections: s.sections.map((x) => x.percent) });
      } catch (e) {
        out.push({ name: c.name, error: e.kind });
      }
    }
    return out;
  }, fixture);
  fixture.cases.forEach((c, i) => {
    const got = scored[i];
    const want = c.error ? { name: c.name, error: c.error } : { name: c.name, ...c.expect };
    check(JSON.stringify(got) === JSON.stringify(want), `fixture "${c.name}": page ${JSON.stringify(got)}, qa::score ${JSON.stringify(want)}`);
  });
  await checkAccessibility(page, 'review page (en)');
  const fits = await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
  check(fits, 'the page scrolls sideways on a laptop screen');
  await screenshot(page, 'review-en');

  step('reload: listening ad hoc (not a task) saves nothing, and the page says so');
  check((await text(page, '#adhoc-note')) === m['qa.adhoc_note'], 'the page does not say nothing is saved');
  await page.reload();
  await page.waitForSelector('#player-play');
  await page.waitForSelector('#adhoc-note', { state: 'visible' });
  check((await page.$$('#comments li')).length === 0, 'an ad-hoc comment was kept');
  check((await page.$$('#points li')).length === 0, 'an ad-hoc point was kept');
  check(!(await page.isChecked('#q-identity-no')), 'an ad-hoc answer was kept');

  step('in Korean');
  await page.selectOption('#lang-select', 'ko');
  await page.waitForFunction((w) => document.getElementById('player-play').textContent === w, ko['player.play']);
  check((await text(page, '#comments-title')) === ko['review.comments_title'], 'the comments heading is not Korean');
  await checkAccessibility(page, 'review page (ko)');
  await screenshot(page, 'review-ko');
});
