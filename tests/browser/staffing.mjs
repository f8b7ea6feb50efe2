// A supervisor plans a week on the staffing page, driven by tests/tests/browser_staffing.rs
// (the switch's database holds the worked example: four Mondays of 100 support calls of 180 s
// between 10:00 and 10:30, 13 agents logged in):
//   1. log in on SB_URL/staffing as SB_USER; the first plan (next week, all queues) has no
//      history and the page says so in words;
//   2. choose queue SB_QUEUE, week SB_WEEK, shrinkage 0 and compute: Monday 10:00 shows 100
//      calls, 14 agents needed (Erlang C), 13 logged in giving 79.6 %; the chart has one bar
//      and one dot per interval of the day, with the same numbers; axe, screenshot;
//   3. a what-if from the keyboard (AHT 360 s, Enter): the 10:00 row and its bar say 25; the
//      CSV link carries the what-if;
//   4. in Korean: the headers follow; axe, screenshot; print "PASSED".
import { check, checkAccessibility, env, forgetRefusal, logIn, messagesOf, openPage, run, screenshot, stepper, text } from './lib.mjs';

const url = env('SB_URL');
const user = env('SB_USER');
const password = env('SB_PASSWORD');
const queue = env('SB_QUEUE');
const week = env('SB_WEEK');
const step = stepper('staffing.mjs');
const ko = messagesOf('ko');

const value = (page, start, field) =>
  page.$eval(`#plan tr[data-start="${start}"] [data-field="${field}"]`, (td) => td.dataset.value);

const chart = (page) =>
  page.evaluate(() => {
    const marks = (series) =>
      Array.from(document.querySelectorAll(`#staffing-chart [data-series="${series}"]`), (e) => Number(e.dataset.value));
    return { required: marks('required'), scheduled: marks('scheduled'), rows: document.querySelectorAll('#plan tbody tr').length };
  });

await run('staffing', async (browser, state) => {
  const { page, problems } = await openPage(browser, { locale: 'en-US', timezoneId: 'UTC', viewport: { width: 1400, height: 1000 } });
  state.page = page;
  state.problems = problems;

  step(`logging in on ${url}/staffing`);
  await page.goto(`${url}/staffing`);
  await logIn(page, user, password);
  await page.waitForSelector('#message:not([hidden])');
  const said = await text(page, '#message');
  check(said.includes('no history'), `no history for next week, but the page says "${said}"`);
  forgetRefusal(problems, 422);
  check(await page.isHidden('#result'), 'a result without history');

  step('the worked example');
  await page.selectOption('#s-queues', [queue]);
  await page.fill('#s-week', week);
  await page.fill('#s-shrinkage', '0');
  await page.click('#s-compute');
  await page.waitForSelector('#plan tr[data-start="10:00"]');
  check(await page.isHidden('#message'), `an error after computing: ${await text(page, '#message')}`);
  check((await page.inputValue('#s-day')) === '2025-03-31', `day shown: ${await page.inputValue('#s-day')}`);
  check((await value(page, '10:00', 'forecast_calls')) === '100', 'forecast calls');
  check((await value(page, '10:00', 'needed_erlang_c')) === '14', 'needed (Erlang C)');
  check((await value(page, '10:00', 'to_schedule')) === '14', 'to schedule without shrinkage');
  check((await value(page, '10:00', 'scheduled')) === '13', 'logged in');
  const sl = Number(await value(page, '10:00', 'scheduled_service_level'));
  check(Math.round(sl * 10000) === 7956, `service level of the 13 logged in: ${sl}`);
  const shown = await text(page, '#plan tr[data-start="10:00"] [data-field="scheduled_service_level"]');
  check(shown.includes('79.6%') && shown.includes('⚠'), `the shortfall in words and sign: "${shown}"`);
  let c = await chart(page);
  check(c.rows === 2 && c.required.length === 2 && c.scheduled.length === 2, `chart marks: ${JSON.stringify(c)}`);
  check(c.required.join() === '14,0' && c.scheduled.join() === '13,6.5', `chart values: ${JSON.stringify(c)}`);
  await checkAccessibility(page, 'staffing plan (en)');
  await screenshot(page, 'staffing-en');

  step('a what-if from the keyboard');
  await page.focus('#s-aht');
  await page.keyboard.type('360');
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    () => document.querySelector('#plan tr[data-start="10:00"] [data-field="needed_erlang_c"]')?.dataset.value === '25',
  );
  c = await chart(page);
  check(c.required[0] === 25, `the bar follows the what-if: ${JSON.stringify(c)}`);
  const csv = await page.getAttribute('#s-csv', 'href');
  check(csv.includes('format=csv') && csv.includes('aht=360') && csv.includes('queues=support'), `CSV link: ${csv}`);

  step('in Korean');
  await page.selectOption('#lang-select', 'ko');
  await page.waitForFunction((want) => document.querySelector('#plan th[data-i18n="staffing.col_needed_c"]').textContent === want, ko['staffing.col_needed_c']);
  check((await text(page, 'h1')) === ko['staffing.title'], 'title in Korean');
  await checkAccessibility(page, 'staffing plan (ko)');
  await screenshot(page, 'staffing-ko');
});
