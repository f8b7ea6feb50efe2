// An administrator in the browser, driven by tests/tests/browser.rs (the switch's dialplan
// file was broken by the test after the switch started):
//   1. log in on SB_URL/admin; every section says whether its changes apply at once or need a
//      restart; the accounts list shows the roles by name;
//   2. "Check and reload dialplans" shows the check's errors (file, line and column);
//   3. create queue SB_QUEUE (number SB_NUMBER): first with an overflow target that does not
//      exist (the field's error is shown next to it), then without; change its wrap-up time;
//   4. put agent SB_AGENT in the new queue;
//   5. add extension SB_EXTENSION (first with a weak SIP password: the error is shown next to
//      the field), then agent SB_NEW_AGENT at that extension with a skill, a PIN and the new
//      queue with weight 2; the forms are checked by axe-core in English, then again in Korean;
//   6. create supervisor sue with a monitoring phone: first one the directory lacks (the
//      field's error), then SB_EXTENSION, shown on sue's row; cleared on the row;
//      print "PASSED" (the test then registers a phone as SB_EXTENSION, logs SB_NEW_AGENT in
//      and calls SB_NUMBER: the new agent's phone rings, no restart).
import { check, checkAccessibility, env, expectSaid, forgetRefusal, logIn, messagesOf, openPage, run, screenshot, stepper, text } from './lib.mjs';

const url = env('SB_URL');
const user = env('SB_USER');
const password = env('SB_PASSWORD');
const queue = env('SB_QUEUE');
const queueNumber = env('SB_NUMBER');
const agent = env('SB_AGENT');
const planError = env('SB_PLAN_ERROR');
const extension = env('SB_EXTENSION');
const extensionPassword = env('SB_EXTENSION_PASSWORD');
const newAgent = env('SB_NEW_AGENT');
const step = stepper('admin.mjs');
const m = messagesOf('en');


await run('admin', async (browser, state) => {
  const { page, problems } = await openPage(browser, { locale: 'en-US' });
  state.page = page;
  state.problems = problems;

  step(`logging in on ${url}/admin`);
  await page.goto(`${url}/admin`);
  await logIn(page, user, password);
  await page.waitForSelector(`#queue-list tbody tr[data-key="support"]`);
  const live = await page.$$eval('.applies.live', (ps) => ps.length);
  const restart = await page.$$eval('.applies.restart', (ps) => ps.length);
  check(live >= 5 && restart >= 1, `live/restart notes: ${live}/${restart}`);
  await page.waitForSelector('#account-list tbody tr');
  const roles = await page.$$eval('#account-list tbody td:nth-of-type(1)', (tds) => tds.map((td) => td.textContent));
  check(roles.includes(m['role.admin']) && roles.includes(m['role.agent']), `roles by name: ${roles}`);
  const nav = await page.$$eval('#nav-list a', (as) => as.map((a) => a.getAttribute('href')));
  check(nav.includes('/admin') && nav.includes('/wallboard'), `an admin's navigation: ${nav}`);
  await checkAccessibility(page, 'admin (en)');

  step('reloading the broken dialplans');
  await page.click('#reload');
  await page.waitForSelector('#reload-result [data-result]');
  const result = await page.getAttribute('#reload-result [data-result]', 'data-result');
  check(result === 'refused', `reload result: ${result}`);
  const errors = await page.$$eval('.reload-errors li', (lis) => lis.map((li) => li.textContent));
  check(errors.some((e) => e.includes(planError)), `the check's errors: ${JSON.stringify(errors)}`);
  forgetRefusal(problems, 422);

  step(`creating queue ${queue} with a wrong overflow`);
  await page.click('#queue-new');
  check(await page.evaluate(() => document.activeElement.id === 'q-name'), 'the form takes the focus');
  await page.fill('#q-name', queue);
  await page.fill('#q-number', queueNumber);
  await page.selectOption('#q-strategy', 'ring-all');
  await page.fill('#q-overflow', 'no-such-target');
  await page.click('#queue-save');
  await page.waitForSelector('#q-overflow-error', { state: 'visible' });
  check((await page.getAttribute('#q-overflow', 'aria-invalid')) === 'true', 'the wrong field is marked');
  check(await page.evaluate(() => document.activeElement.id === 'q-overflow'), 'focus on the wrong field');
  forgetRefusal(problems, 400);
  await checkAccessibility(page, 'admin queue form with an error (en)');
  await screenshot(page, 'admin-queue-error-en');

  step('creating it without the overflow');
  await page.fill('#q-overflow', '');
  await page.click('#queue-save');
  await expectSaid(page, m['admin.queue_created'].replace('{name}', queue));
  await page.waitForSelector(`#queue-list tbody tr[data-key="${queue}"]`);
  const row = await page.$$eval(`#queue-list tbody tr[data-key="${queue}"] > *`, (cs) => cs.map((c) => c.textContent));
  check(row[1] === queueNumber && row[2] === m['strategy.ring-all'], `the new queue's row: ${row}`);

  step('changing its wrap-up time');
  await page.click(`#queue-list tbody tr[data-key="${queue}"] button:not(.danger)`);
  check(await page.isEditable('#q-number') && !(await page.isEditable('#q-name')), 'the name is fixed when editing');
  await page.fill('#q-wrap_up_s', '5');
  await page.fill('#q-service_level_target', '95');
  await page.click('#queue-save');
  await expectSaid(page, m['admin.queue_saved'].replace('{name}', queue));
  const liveQueue = await page.evaluate(async (q) => {
    const queues = await (await fetch('/api/queues')).json();
    return queues.find((x) => x.name === q);
  }, queue);
  check(liveQueue && liveQueue.service_level_target === 95, `the queue's service-level target: ${JSON.stringify(liveQueue)}`);

  step(`putting agent ${agent} in ${queue}`);
  const form = `#agent-list form[data-agent="${agent}"]`;
  await page.check(`${form} input[value="${queue}"]`);
  await page.click(`${form} button[type="submit"]`);
  await expectSaid(page, m['admin.memberships_saved'].replace('{agent}', agent));
  await page.waitForFunction(
    ([f, q]) => document.querySelector(`${f} input[value="${q}"]`)?.checked === true,
    [form, queue],
  );
  await screenshot(page, 'admin-en');

  step(`adding extension ${extension} with a weak password`);
  await page.click('#user-new');
  check(await page.evaluate(() => document.activeElement.id === 'u-extension'), 'the form takes the focus');
  await page.fill('#u-extension', extension);
  await page.fill('#u-name', 'Front desk');
  await page.fill('#u-password', '12345678901');
  await page.click('#user-save');
  await page.waitForSelector('#u-password-error', { state: 'visible' });
  check((await page.getAttribute('#u-password', 'aria-invalid')) === 'true', 'the password is marked');
  check(await page.evaluate(() => document.activeElement.id === 'u-password'), 'focus on the password');
  forgetRefusal(problems, 400);
  await checkAccessibility(page, 'admin extension form with an error (en)');
  await screenshot(page, 'admin-extension-error-en');
  await page.fill('#u-password', extensionPassword);
  await page.click('#user-save');
  await expectSaid(page, m['admin.user_created'].replace('{extension}', extension));
  await page.waitForSelector(`#user-list tbody tr[data-key="${extension}"]`);
  const userRow = await page.$$eval(`#user-list tbody tr[data-key="${extension}"] > *`, (cs) => cs.map((c) => c.textContent));
  check(userRow[1] === 'Front desk' && userRow[3] === m['admin.source_api'], `the new extension's row: ${userRow}`);
  check(!(await page.content()).includes(extensionPassword), 'the SIP password is not in the page');

  step(`adding agent ${newAgent} at ${extension}`);
  await page.click('#agent-new');
  check(await page.evaluate(() => document.activeElement.id === 'a-id'), 'the agent form takes the focus');
  await page.fill('#a-id', newAgent);
  await page.fill('#a-name', 'Dana');
  await page.fill('#a-extension', extension);
  await page.fill('#a-skills', 'loans:9');
  await page.fill('#a-pin', '2468');
  const box = `#a-queue-rows input[type="checkbox"][value="${queue}"]`;
  await page.check(box);
  const boxId = await page.getAttribute(box, 'id');
  await page.fill(`#${boxId}-weight`, '2');
  await page.click('#agent-save');
  await page.waitForSelector('#a-skills-error', { state: 'visible' });
  forgetRefusal(problems, 400);
  await checkAccessibility(page, 'admin agent form with an error (en)');
  await page.fill('#a-skills', 'loans:3');
  await page.click('#agent-save');
  await expectSaid(page, m['admin.agent_created'].replace('{agent}', newAgent));
  await page.waitForSelector(`#agent-list form[data-agent="${newAgent}"] input[value="${queue}"]:checked`);

  step(`creating supervisor sue with monitoring phone ${extension}`);
  await page.click('#account-new');
  await page.fill('#ac-username', 'sue');
  await page.selectOption('#ac-role', 'supervisor');
  await page.fill('#ac-extension', '2999');
  await page.fill('#ac-password', 'sue-first-pass');
  await page.click('#account-save');
  await page.waitForSelector('#ac-extension-error', { state: 'visible' });
  check((await page.getAttribute('#ac-extension', 'aria-invalid')) === 'true', 'the phone is marked');
  forgetRefusal(problems, 400);
  await checkAccessibility(page, 'admin account form with an error (en)');
  await page.fill('#ac-extension', extension);
  await page.click('#account-save');
  await expectSaid(page, m['admin.account_created'].replace('{user}', 'sue'));
  const sueRow = `#account-list tbody tr[data-key="sue"]`;
  await page.waitForSelector(sueRow);
  const sueCells = await page.$$eval(`${sueRow} > *`, (cs) => cs.map((c) => c.textContent));
  check(sueCells[3] === extension, `sue's row shows the phone: ${sueCells}`);
  await page.fill(`${sueRow} .phone-input`, '');
  await page.click(`${sueRow} .phone-input + button`);
  await expectSaid(page, m['accounts.monitor_cleared'].replace('{user}', 'sue'));
  await page.waitForFunction((sel) => document.querySelector(`${sel} > td:nth-of-type(3)`)?.textContent === '—', sueRow);

  step('the same page in Korean');
  const ko = messagesOf('ko');
  await page.selectOption('#lang-select', 'ko');
  await page.waitForFunction((want) => document.getElementById('users-title').textContent === want, ko['admin.users_title']);
  await page.click(`#agent-list form[data-agent="${newAgent}"] button:not(.danger):not([type="submit"])`);
  await page.waitForSelector('#agent-form', { state: 'visible' });
  const pinHelp = await text(page, '#a-pin-help');
  check(pinHelp === ko['admin.agent_pin_set'], `the PIN is set, not shown: ${pinHelp}`);
  const weight = await page.inputValue(`#${boxId}-weight`);
  check(weight === '2', `the weight read back: ${weight}`);
  await page.click('#user-new');
  await checkAccessibility(page, 'admin forms (ko)');
  await screenshot(page, 'admin-forms-ko');
  await page.click('#user-cancel');
  await page.click('#agent-cancel');
  await page.selectOption('#lang-select', 'en');
});
