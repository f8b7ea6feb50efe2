// An administrator manages trunks and DIDs in the admin page (issue 9, "as they land"),
// driven by tests/tests/browser_trunks.rs. The switch starts with the file's trunk SB_TRUNK.
//   1. log in on SB_URL/admin as SB_USER: the trunks section lists SB_TRUNK with its state
//      in words and says its changes apply at once;
//   2. add trunk SB_NEW_TRUNK: first with a port out of range (the API's error shows next to
//      the field), then right (username, write-only password, channel limit, caller ID,
//      national numbers); edit it: the form says a password is set, a blank one keeps it, the
//      channel limit becomes 20;
//   3. add DID SB_DID to a queue that does not exist (the error shows at the target), then to
//      SB_QUEUE; axe-core in English, then in Korean;
//   4. a supervisor (SB_BOARD_USER) on the same page sees no trunks, only why; print "PASSED".
import { check, checkAccessibility, env, expectSaid, forgetRefusal, logIn, messagesOf, openPage, run, screenshot, stepper, text } from './lib.mjs';

const url = env('SB_URL');
const user = env('SB_USER');
const password = env('SB_PASSWORD');
const fileTrunk = env('SB_TRUNK');
const newTrunk = env('SB_NEW_TRUNK');
const did = env('SB_DID');
const queue = env('SB_QUEUE');
const boardUser = env('SB_BOARD_USER');
const boardPassword = env('SB_BOARD_PASSWORD');
const step = stepper('trunks.mjs');
const m = messagesOf('en');
const ko = messagesOf('ko');
const fill = (template, vars) => template.replace(/\{(\w+)\}/g, (_, k) => vars[k]);


const cell = (page, key, col) => text(page, `#trunk-list tr[data-key="${key}"] [data-col="${col}"]`);

await run('trunks', async (browser, state) => {
  const { page, problems } = await openPage(browser, { locale: 'en-US' });
  state.page = page;
  state.problems = problems;

  step(`logging in on ${url}/admin`);
  await page.goto(`${url}/admin`);
  await logIn(page, user, password);
  await page.waitForSelector(`#trunk-list tr[data-key="${fileTrunk}"]`);
  check(await page.isVisible('#trunks-section .applies.live'), 'the trunks section does not say when changes apply');
  const registration = await cell(page, fileTrunk, 'registration');
  check(registration === m['registration.not_configured'], `${fileTrunk}'s registration reads "${registration}"`);
  const health = await cell(page, fileTrunk, 'health');
  check(Object.keys(m).some((k) => k.startsWith('health.') && m[k] === health), `${fileTrunk}'s health reads "${health}"`);

  step(`adding ${newTrunk} with a port out of range`);
  await page.click('#trunk-new');
  await page.fill('#t-name', newTrunk);
  await page.fill('#t-host', '127.0.0.3');
  await page.fill('#t-port', '70000');
  await page.fill('#t-username', 'bank01');
  await page.fill('#t-password', 'carrier-b-secret');
  await page.fill('#t-max_channels', '10');
  await page.fill('#t-caller_id', '+8215880000');
  await page.selectOption('#t-number_format', 'national');
  await page.click('#trunk-save');
  await page.waitForSelector('#t-port-error', { state: 'visible' });
  check((await page.getAttribute('#t-port', 'aria-invalid')) === 'true', 'the port is not marked invalid');
  forgetRefusal(problems, 400);
  await checkAccessibility(page, 'admin trunk form with an error (en)');
  await screenshot(page, 'trunk-error-en');

  await page.fill('#t-port', '5070');
  await page.click('#trunk-save');
  await expectSaid(page, fill(m['admin.trunk_created'], { name: newTrunk }));
  await page.waitForSelector(`#trunk-list tr[data-key="${newTrunk}"]`);
  const channels = await cell(page, newTrunk, 'channels');
  check(channels === fill(m['admin.trunk_channels_of'], { used: '0', max: '10' }), `channels read "${channels}"`);

  step(`editing ${newTrunk}: a blank password keeps it`);
  await page.click(`#trunk-list tr[data-key="${newTrunk}"] button:not(.danger)`);
  check((await text(page, '#t-password-help')) === m['admin.trunk_password_set'], 'the form does not say a password is set');
  check((await page.inputValue('#t-password')) === '', 'the password is shown');
  check((await page.inputValue('#t-port')) === '5070', 'the port is not filled in');
  await page.fill('#t-max_channels', '20');
  await page.click('#trunk-save');
  await expectSaid(page, fill(m['admin.trunk_saved'], { name: newTrunk }));
  await page.waitForFunction(
    ([key, want]) => {
      const td = document.querySelector(`#trunk-list tr[data-key="${key}"] [data-col="channels"]`);
      return td && td.textContent === want;
    },
    [newTrunk, fill(m['admin.trunk_channels_of'], { used: '0', max: '20' })],
  );

  step(`adding DID ${did}`);
  await page.click('#did-new');
  await page.fill('#d-number', did);
  await page.selectOption('#d-kind', 'queue');
  await page.fill('#d-target', 'no-such-queue');
  await page.click('#did-save');
  await page.waitForSelector('#d-target-error', { state: 'visible' });
  forgetRefusal(problems, 400);
  await page.fill('#d-target', queue);
  await page.click('#did-save');
  await expectSaid(page, fill(m['admin.did_created'], { number: did }));
  // The message comes first, then the page reads the lists again.
  await page.waitForSelector(`#did-list tr[data-key="${did}"]`);
  const goes = await text(page, `#did-list tr[data-key="${did}"] td`);
  check(goes === fill(m['did.queue'], { target: queue }), `the DID goes to "${goes}"`);
  await checkAccessibility(page, 'admin trunks and DIDs (en)');
  await screenshot(page, 'trunks-en');

  await page.selectOption('#lang-select', 'ko');
  await page.waitForFunction((w) => document.getElementById('trunks-title').textContent === w, ko['admin.trunks_title']);
  const goesKo = await text(page, `#did-list tr[data-key="${did}"] td`);
  check(goesKo === fill(ko['did.queue'], { target: queue }), `in Korean the DID goes to "${goesKo}"`);
  await page.click(`#trunk-list tr[data-key="${newTrunk}"] button:not(.danger)`);
  await checkAccessibility(page, 'admin trunks and DIDs with the form (ko)');
  await screenshot(page, 'trunks-ko');

  step(`a supervisor (${boardUser}) sees no trunks`);
  const board = await openPage(browser, { locale: 'en-US' });
  state.page = board.page;
  await board.page.goto(`${url}/admin`);
  await logIn(board.page, boardUser, boardPassword);
  await board.page.waitForSelector('#trunks-forbidden', { state: 'visible' });
  check(await board.page.isHidden('#trunks-admin'), 'a supervisor sees the trunks');
  check(board.problems.length === 0, board.problems.join('\n'));
});
