// The QA console's monthly loop over the QA API (issue 11), driven by
// tests/tests/browser_qa_console.rs: SB_MONTH is sampled already; its one task reviews the call
// SB_CDR of agent SB_AGENT, a real two-channel recording.
//   1. the reviewer logs in on /review: the task list (filters by month and status) links
//      the task; open it;
//   2. play (currentTime advances); a comment at 00:02 is posted and seeks when clicked; one
//      past the end is refused;
//   3. the form answered (greet yes, tone 4: 81.25), an improvement point and a summary; the
//      draft is saved on the server: the switch restarts (RESTART on stdout, the test answers
//      with the file SB_RESTARTED), reload, all of it is back; axe; screenshot; submit;
//   4. the agent logs in: "My reviews" lists the submitted review; open it, the comment seeks
//      the player; acknowledge; axe in Korean; screenshot;
//   5. the supervisor samples SB_NEXT_MONTH through the API; the reviewer opens the follow-up
//      task, which lists the point; "Improved" closes it; screenshot (that month's calls are
//      rows without audio: their player's 404s are expected);
//   6. the next month's other task reviewed, disputed by the agent (an empty comment refused),
//      settled by the supervisor with changed answers and a reason;
//   7. the supervisor's /qa-reports: bob's and team red's months, the CSV link, the SVG chart
//      with bob's score; axe in English and Korean; the admin's overdue list (empty); "PASSED".
import { existsSync } from 'node:fs';
import { check, checkAccessibility, env, forgetRefusal, logIn, messagesOf, openPage, run, screenshot, signal, stepper, text, waitAt } from './lib.mjs';

const url = env('SB_URL');
const reviewer = env('SB_REVIEWER');
const reviewerPassword = env('SB_REVIEWER_PASSWORD');
const supervisor = env('SB_SUPERVISOR');
const supervisorPassword = env('SB_SUPERVISOR_PASSWORD');
const agent = env('SB_AGENT');
const agentPassword = env('SB_AGENT_PASSWORD');
const admin = env('SB_ADMIN');
const adminPassword = env('SB_ADMIN_PASSWORD');
const restarted = env('SB_RESTARTED');
const month = env('SB_MONTH');
const nextMonth = env('SB_NEXT_MONTH');
const step = stepper('qa_console.mjs');
const m = messagesOf('en');
const ko = messagesOf('ko');
const POINT = 'Let the customer finish before answering';
const SUMMARY = 'Friendly call; one habit to work on.';
const fill = (template, vars) => template.replace(/\{(\w+)\}/g, (_, k) => vars[k]);

const currentTime = (page) => page.evaluate(() => document.getElementById('player-audio').currentTime);
const rows = (page) => page.$$eval('#task-rows tr', (trs) => trs.map((tr) => tr.querySelector('a').getAttribute('href')));
const waitSaid = (page, want) => page.waitForFunction((w) => {
  const msg = document.getElementById('message');
  return !msg.hidden && (msg.textContent === w || msg.classList.contains('error'));
}, want).then(async () => check((await text(page, '#message')) === want, `the page says "${await text(page, '#message')}", not "${want}"`));

async function logOut(page) {
  await page.click('#logout');
  await page.waitForSelector('#login-form', { state: 'visible' });
}

await run('qa_console', async (browser, state) => {
  const { page, problems } = await openPage(browser, { locale: 'en-US', viewport: { width: 1366, height: 768 } });
  state.page = page;
  state.problems = problems;

  step('the reviewer\'s task list, filtered');
  await page.goto(`${url}/review`);
  await page.waitForSelector('#login-form');
  await logIn(page, reviewer, reviewerPassword);
  await page.waitForSelector('#task-table:not([hidden])');
  const all = await rows(page);
  check(all.length === 1, `the reviewer has ${all.length} tasks`);
  await page.fill('#task-month', month);
  await page.selectOption('#task-status', 'submitted');
  await page.click('#task-filter');
  await page.waitForSelector('#tasks-empty:not([hidden])');
  check(new URL(page.url()).searchParams.get('status') === 'submitted', 'the filter is not in the address');
  await page.selectOption('#task-status', 'assigned');
  await page.click('#task-filter');
  await page.waitForSelector('#task-table:not([hidden])');
  check((await rows(page)).length === 1, 'the assigned task is not listed for its month');
  await checkAccessibility(page, 'task list (en)');
  await screenshot(page, 'qa-tasks-en');
  await page.click('#task-rows a');
  await page.waitForSelector('#player-play');
  const taskId = new URL(page.url()).searchParams.get('task');
  check(Boolean(taskId), `opened ${page.url()}`);
  check((await text(page, '#ctx-agent')) === agent, 'the agent in the context');
  check((await text(page, '#ctx-queue')) === 'support', 'the queue in the context');
  check((await text(page, '#task-state strong')) === m['qa.status.assigned'], 'the status');

  step('play and seek; a comment kept by the server seeks when clicked; one past the end refused');
  await page.click('#player-play');
  await page.waitForFunction(() => document.getElementById('player-audio').currentTime > 0.6, null, { timeout: 15000 });
  await page.click('#player-play');
  await page.waitForFunction(() => document.getElementById('player-audio').paused);
  await page.click('#comment-new');
  await page.fill('#comment-at', '00:02');
  await page.fill('#comment-text', 'interrupted the customer');
  await page.click('#comment-save');
  await page.waitForSelector('#comments li');
  await page.click('#player-forward');
  await page.waitForFunction(() => document.getElementById('player-audio').currentTime > 5);
  await page.click('#comments .comment-seek');
  await waitAt(page, 2);
  await page.click('#comment-new');
  await page.fill('#comment-at', '09:59');
  await page.fill('#comment-text', 'too late');
  await page.click('#comment-save');
  await page.waitForSelector('#comment-error', { state: 'visible' });
  check((await page.$$('#comments li')).length === 1, 'a comment past the end was kept');
  await page.click('#comment-cancel');

  step('answers, a point and a summary, saved on the server as typed; the switch restarts; reload finds them');
  await page.click('label[for="q-greet-yes"]');
  await page.click('label[for="q-tone-scale-4"]');
  check((await text(page, '#score-total')) === '81.25', `the page scores ${await text(page, '#score-total')}`);
  await page.fill('#point-text', POINT);
  await page.click('#point-add');
  await page.waitForSelector('#points li');
  await page.fill('#summary', SUMMARY);
  await page.waitForFunction((prefix) => document.getElementById('draft-status').textContent.startsWith(prefix),
    m['qa.draft_saved'].split('{')[0]);
  // The switch restarts under the page (the test does it on this line, then writes the file).
  signal('RESTART');
  for (let i = 0; !existsSync(restarted); i += 1) {
    check(i < 900, 'the switch did not come back');
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.reload();
  await page.waitForFunction(() => !document.getElementById('login-panel').hidden || !document.getElementById('page').hidden);
  if (await page.isVisible('#login-form')) await logIn(page, reviewer, reviewerPassword);
  await page.waitForSelector('#comments li');
  await page.waitForSelector('#score-total');
  check((await text(page, '#score-total')) === '81.25', 'the answers were lost');
  check(await page.isChecked('#q-tone-scale-4'), 'the scale answer is not checked');
  check((await text(page, '#points li')) .startsWith(POINT), 'the point was lost');
  check((await page.inputValue('#summary')) === SUMMARY, 'the summary was lost');
  check((await text(page, '#draft-status')) === m['qa.draft_restored'], 'the page does not say the draft is back');
  check((await page.$$('#adhoc-note:not([hidden])')).length === 0, 'a task says nothing is saved');
  await checkAccessibility(page, 'task review (en)');
  await screenshot(page, 'qa-review-en');
  await page.click('#task-submit');
  await waitSaid(page, m['qa.submitted'].replace('{score}', '81.25').replace('{count}', '1'));
  check((await text(page, '#task-state strong')) === m['qa.status.submitted'], 'not submitted');
  check(await page.isDisabled('#q-greet-yes'), 'a submitted form can still be changed');
  check((await page.$$('#point-form:not([hidden])')).length === 0, 'points can still be added');
  await logOut(page);

  step('the agent: My reviews, the comment seeks, acknowledge');
  await logIn(page, agent, agentPassword);
  await page.waitForSelector(`#app-nav a[href="/review"]`);
  check((await text(page, '#app-nav a[href="/review"]')) === m['qa.my_reviews'], 'no "My reviews" link');
  await page.click('#app-nav a[href="/review"]');
  await page.waitForSelector('#task-table:not([hidden])');
  check(JSON.stringify(await rows(page)) === JSON.stringify([`/review?task=${encodeURIComponent(taskId)}`]), 'the agent\'s list');
  check((await page.$$('#pick:not([hidden])')).length === 0, 'the agent is offered any call');
  await page.click('#task-rows a');
  await page.waitForSelector('#comments li');
  check((await text(page, '#task-summary-text')) === SUMMARY, 'the agent does not see the summary');
  await page.click('#player-forward');
  await page.waitForFunction(() => document.getElementById('player-audio').currentTime > 5);
  await page.click('#comments .comment-seek');
  await waitAt(page, 2);
  check(Math.abs((await currentTime(page)) - 2) <= 0.15, 'the comment did not seek for the agent');
  check((await page.$$('#comment-new:not([hidden])')).length === 0, 'the agent may comment');
  await page.selectOption('#lang-select', 'ko');
  await page.waitForFunction((w) => document.getElementById('task-acknowledge').textContent === w, ko['qa.acknowledge']);
  await checkAccessibility(page, 'agent review (ko)');
  await screenshot(page, 'qa-agent-ko');
  await page.selectOption('#lang-select', 'en');
  await page.waitForFunction((w) => document.getElementById('task-acknowledge').textContent === w, m['qa.acknowledge']);
  await page.click('#task-acknowledge');
  await waitSaid(page, m['qa.acknowledged']);
  check((await text(page, '#task-state strong')) === m['qa.status.acknowledged'], 'not acknowledged');
  await logOut(page);

  step('the next month sampled by the supervisor; the reviewer closes the follow-up as improved');
  const sup = await browser.newContext();
  const login = await sup.request.post(`${url}/api/login`, { data: { username: supervisor, password: supervisorPassword } });
  check(login.ok(), `the supervisor's login: ${login.status()}`);
  const { csrf_token: csrf } = await login.json();
  const sampled = await sup.request.post(`${url}/api/qa/sampling`, {
    data: { month: nextMonth, seed: 5 },
    headers: { 'X-CSRF-Token': csrf },
  });
  check(sampled.status() === 201, `sampling ${nextMonth}: ${sampled.status()} ${await sampled.text()}`);
  const run = await sampled.json();
  check(run.follow_up_tasks === 1, `follow-up tasks: ${JSON.stringify(run)}`);
  await sup.close();
  await logIn(page, reviewer, reviewerPassword);
  await page.goto(`${url}/review?month=${nextMonth}`);
  await page.waitForSelector('#task-table:not([hidden])');
  const followUp = await page.$$eval('#task-rows tr', (trs) => trs
    .filter((tr) => tr.querySelector('.qa-note'))
    .map((tr) => tr.querySelector('a').getAttribute('href')));
  check(followUp.length === 1, `follow-up rows: ${followUp}`);
  await page.goto(`${url}${followUp[0]}`);
  await page.waitForSelector('#rechecks li');
  check((await text(page, '#rechecks li span')) === POINT, 'the follow-up does not list the point');
  await page.click('#rechecks button[data-verdict="improved"]');
  await waitSaid(page, m['qa.checked_improved']);
  check((await text(page, '#rechecks .qa-note')) === `(${m['qa.point_improved']})`, 'the point is not shown improved');
  await checkAccessibility(page, 'follow-up (en)');
  await screenshot(page, 'qa-follow-up-en');

  step('a second review disputed by the agent and settled by the supervisor with a new score');
  await page.goto(`${url}/review?month=${nextMonth}`);
  await page.waitForSelector('#task-table:not([hidden])');
  const regular = await page.$$eval('#task-rows tr', (trs) => trs
    .filter((tr) => !tr.querySelector('.qa-note'))
    .map((tr) => tr.querySelector('a').getAttribute('href')));
  check(regular.length === 1, `regular rows: ${regular}`);
  await page.goto(`${url}${regular[0]}`);
  await page.waitForSelector('#task-submit');
  await page.click('label[for="q-greet-no"]');
  await page.click('label[for="q-tone-scale-2"]');
  await page.click('#task-submit');
  await waitSaid(page, m['qa.submitted'].replace('{score}', '18.75').replace('{count}', '0'));
  await logOut(page);
  await logIn(page, agent, agentPassword);
  await page.waitForSelector('#dispute-form');
  await page.click('#dispute-form button[type="submit"]');
  await page.waitForSelector('#dispute-form-error', { state: 'visible' });
  check((await text(page, '#dispute-form-error')) === m['qa.write_reason'], 'an empty dispute is not refused');
  await page.fill('#dispute-form-text', 'I did greet the customer by name');
  await page.click('#dispute-form button[type="submit"]');
  await waitSaid(page, m['qa.disputed']);
  check((await text(page, '#dispute-comment')) === 'I did greet the customer by name', 'the dispute comment');
  await logOut(page);
  await logIn(page, supervisor, supervisorPassword);
  await page.waitForSelector('#settle-form');
  check(await page.isDisabled('#q-greet-yes'), 'the form is open before "change the score"');
  await page.click('label[for="settle-changed"]');
  await page.click('label[for="q-greet-yes"]');
  check((await text(page, '#score-total')) === '43.75', `the changed answers score ${await text(page, '#score-total')}`);
  await page.fill('#settle-form-text', 'The greeting is on the recording');
  await checkAccessibility(page, 'settle a dispute (en)');
  await screenshot(page, 'qa-settle-en');
  await page.click('#settle-form button[type="submit"]');
  await waitSaid(page, m['qa.settled']);
  check((await text(page, '#task-state strong')) === m['qa.status.settled'], 'not settled');
  check((await text(page, '#settlement')) === m['qa.settled_changed'].replace('{who}', supervisor).replace('{score}', '43.75'), 'the settlement line');

  step('the supervisor\'s QA reports: the table, the CSV link and the SVG chart show it');
  await page.goto(`${url}/qa-reports?from=${month}&to=${nextMonth}`);
  await page.waitForSelector(`#qr-agents tr[data-name="${agent}"][data-month="${month}"]`);
  const line = await page.$$eval(`#qr-agents tr[data-name="${agent}"][data-month="${month}"] > *`, (cs) => cs.map((c) => c.textContent));
  // Agent, team, month, due, done, average, change, opened, improved, carried, disputes.
  check(line[1] === 'red' && line[3] === '1' && line[4] === '1' && line[5] === '81.25' && line[7] === '1', `bob's ${month}: ${line}`);
  const improved = await page.$$eval(`#qr-agents tr[data-name="${agent}"] > td:nth-child(9)`, (cs) => cs.reduce((n, c) => n + Number(c.textContent), 0));
  check(improved === 1, `points improved over the months: ${improved}`);
  check((await page.$$('#qr-teams tr[data-name="red"]')).length === 2, 'the team\'s months');
  const later = await page.$$eval(`#qr-agents tr[data-name="${agent}"][data-month="${nextMonth}"] > *`, (cs) => cs.map((c) => c.textContent));
  check(later[4] === '1' && later[5] === '43.75' && later[10] === fill(m['qa.disputes_cell'], { n: 1, kept: 0, changed: 1 }), `bob's ${nextMonth}: ${later}`);
  check((await page.getAttribute('#qr-csv', 'href')) === `/api/qa/reports.csv?from=${month}&to=${nextMonth}`, 'the CSV link');
  await page.waitForFunction(() => document.getElementById('qr-chart').complete && document.getElementById('qr-chart').naturalWidth > 0);
  const chart = await page.evaluate(async () => (await fetch(document.getElementById('qr-chart').src)).text());
  check(chart.startsWith('<svg') && chart.includes(agent) && chart.includes('Team red'), 'the chart does not draw bob and team red');
  check(chart.includes('81.2'), 'the chart does not carry bob\'s score');
  check((await page.$$('#qr-overdue-card:not([hidden])')).length === 0, 'a supervisor is shown the overdue list');
  await checkAccessibility(page, 'QA reports (en)');
  await screenshot(page, 'qa-reports-en');
  await page.selectOption('#lang-select', 'ko');
  await page.waitForFunction((w) => document.querySelector('#qr-agents th').textContent === w, ko['qa.col_agent']);
  await checkAccessibility(page, 'QA reports (ko)');
  await screenshot(page, 'qa-reports-ko');
  await page.selectOption('#lang-select', 'en');
  await logOut(page);

  step('the admin sees the overdue follow-ups (none: the point improved)');
  await logIn(page, admin, adminPassword);
  await page.waitForSelector('#qr-overdue-card:not([hidden])');
  await page.waitForSelector('#qr-overdue-empty:not([hidden])');
  // The next month's calls were seeded as rows without audio files: their player's 404s.
  forgetRefusal(problems, 404);
});
