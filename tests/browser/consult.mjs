// The agent page's consult panel in headless Chromium (issue 12), driven line by line by
// tests/tests/browser_consult.rs, which places the calls and checks what each phone hears.
// Each command names the agent whose page it acts on; each answer is one stdout line:
//   login USER PASSWORD        open /agent in a fresh profile, log in, sign in to the queues:
//                              READY USER
//   on_call USER               wait for the desk to show the agent on a call: ON_CALL USER
//   consult USER TARGET REASON fill the Consult form and press Consult: CONSULTED USER
//   state USER STATE [TARGET]  wait for the panel in STATE (ringing, talking, conference,
//                              transferred) saying so with TARGET, and only the buttons
//                              that fit: STATE USER STATE
//   last USER OUTCOME          wait for the panel back at rest saying how the consultation
//                              ended (completed, cancelled, busy, declined, transferred...):
//                              LAST USER OUTCOME
//   press USER complete|conference|cancel   press that button: PRESSED USER
//   wrap_up USER               wait for the desk to show wrap-up: WRAP_UP USER
//   pop USER BY REASON         wait for the screen pop to say "Transferred by BY — REASON"
//                              (and not list the transfer's variables as IVR choices):
//                              POP USER
//   axe USER LABEL             axe-core on the page: AXE USER
//   lang USER CODE             switch the page to language CODE (en, ko); the texts the
//                              commands expect are then that language's: LANG USER CODE
//   done                       PASSED (no script error or console error on any page)
// Screenshots (consult-*.png) go to SB_SHOTS.
import { check, checkAccessibility, env, logIn, messagesOf, openPage, run, screenshot, signal, stepper, text, waitState } from './lib.mjs';
import { stdinCommands } from './call_lib.mjs';

const url = env('SB_URL');
const TIMEOUT_MS = 20000;
const step = stepper('consult.mjs');
const messages = { en: messagesOf('en'), ko: messagesOf('ko') };
/** Each page's language: the texts its panel should show. */
const langs = new Map();
const textsOf = (user) => messages[langs.get(user) ?? 'en'];
const command = stdinCommands();
const fill = (template, vars) => template.replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');

/** What the panel shows: its state, its status line, and which buttons are visible. */
const panel = (page) =>
  page.evaluate(() => {
    const visible = (id) => !document.getElementById(id).hidden;
    const line = document.getElementById('consult-status');
    return {
      state: document.getElementById('consult-panel').dataset.state,
      said: line.hidden ? '' : line.textContent,
      lineState: line.dataset.state,
      error: line.classList.contains('error'),
      buttons: ['consult-start', 'consult-complete', 'consult-conference', 'consult-cancel'].filter(visible),
    };
  });

async function waitPanel(page, what, ok) {
  const deadline = Date.now() + TIMEOUT_MS;
  let last = null;
  for (;;) {
    last = await panel(page);
    if (ok(last)) return last;
    check(Date.now() < deadline, `the consult panel never showed ${what}: ${JSON.stringify(last)}`);
    await page.waitForTimeout(100);
  }
}

await run('consult', async (browser, state) => {
  const pages = new Map();
  const pageOf = (user) => {
    const p = pages.get(user);
    check(p, `no page for ${user}`);
    state.page = p.page;
    return p.page;
  };
  for (;;) {
    const line = await command('');
    const [name, user, ...rest] = line.split(' ');
    // What went wrong on any page so far (run() fails on it at the end, and shows it).
    state.problems = [...pages.values()].flatMap((p) => p.problems);
    if (name === 'done') break;
    if (name === 'login') {
      step(`${user} logs in`);
      pages.set(user, await openPage(browser, { locale: 'en-GB' }));
      const page = pageOf(user);
      const response = await page.goto(`${url}/agent`);
      check(response && response.ok(), `GET /agent: ${response && response.status()}`);
      await page.waitForSelector('#login-form', { state: 'visible' });
      await logIn(page, user, rest[0]);
      await page.click('#acd-login');
      await waitState(page, 'available');
      const p = await panel(page);
      check(p.state === 'none' && p.buttons.join() === 'consult-start', `the panel before a call: ${JSON.stringify(p)}`);
      signal(`READY ${user}`);
    } else if (name === 'on_call') {
      await pageOf(user).waitForFunction(() => document.getElementById('agent-state').dataset.state === 'on_call', null, { timeout: TIMEOUT_MS });
      signal(`ON_CALL ${user}`);
    } else if (name === 'consult') {
      const [target, ...why] = rest;
      const page = pageOf(user);
      step(`${user} consults ${target}`);
      await page.fill('#consult-target', target);
      await page.fill('#consult-reason', why.join(' '));
      await page.click('#consult-start');
      signal(`CONSULTED ${user}`);
    } else if (name === 'state') {
      const [want, target] = rest;
      const page = pageOf(user);
      const said = fill(textsOf(user)[`consult.state.${want}`], { target: target ?? '' });
      const p = await waitPanel(page, `${want} saying "${said}"`, (p) => p.state === want && p.said === said);
      const buttons = want === 'transferred' ? [] : ['consult-complete', 'consult-conference', 'consult-cancel'];
      check(p.buttons.join() === buttons.join(), `buttons while ${want}: ${p.buttons}`);
      const disabled = await page.$$eval('#consult-panel button', (bs) => bs.filter((b) => b.disabled && !b.hidden).map((b) => b.id));
      const wantDisabled = { ringing: ['consult-complete', 'consult-conference'], talking: [], conference: ['consult-conference'] }[want] ?? [];
      check(disabled.join() === wantDisabled.join(), `disabled while ${want}: ${disabled}`);
      await screenshot(page, `consult-${user}-${want}`);
      signal(`STATE ${user} ${want}`);
    } else if (name === 'last') {
      const [outcome] = rest;
      const page = pageOf(user);
      const said = textsOf(user)[`consult.last.${outcome}`];
      check(said, `no message consult.last.${outcome}`);
      const p = await waitPanel(page, `the end "${said}"`, (p) => p.state === 'none' && p.lineState === outcome && p.said === said);
      check(!p.error, `the end is shown as an error: ${JSON.stringify(p)}`);
      check(p.buttons.join() === 'consult-start', `buttons after the end: ${p.buttons}`);
      await screenshot(page, `consult-${user}-${outcome}`);
      signal(`LAST ${user} ${outcome}`);
    } else if (name === 'press') {
      const page = pageOf(user);
      step(`${user} presses ${rest[0]}`);
      await page.click(`#consult-${rest[0]}`);
      signal(`PRESSED ${user}`);
    } else if (name === 'wrap_up') {
      await pageOf(user).waitForFunction(() => document.getElementById('agent-state').dataset.state === 'wrap_up', null, { timeout: TIMEOUT_MS });
      signal(`WRAP_UP ${user}`);
    } else if (name === 'pop') {
      const [by, ...why] = rest;
      const page = pageOf(user);
      const said = fill(textsOf(user)['pop.transferred_why'], { agent: by, reason: why.join(' ') });
      await page.waitForFunction(
        (w) => {
          const dd = document.getElementById('transferred');
          return !dd.hidden && dd.textContent === w;
        },
        said,
        { timeout: TIMEOUT_MS },
      );
      check(!(await page.isHidden('#transferred-term')), 'the pop names no "Transferred by"');
      const term = await text(page, '#transferred-term');
      check(term === textsOf(user)['pop.transferred'], `the term reads ${term}`);
      // The transfer's bookkeeping is not passed off as the caller's IVR choices.
      const ivr = await page.$$eval('#ivr-vars dt', (dts) => dts.map((d) => d.textContent));
      check(!ivr.some((n) => /^(consult|transfer)/.test(n)), `the pop lists as IVR choices: ${ivr}`);
      await screenshot(page, `consult-${user}-pop`);
      signal(`POP ${user}`);
    } else if (name === 'lang') {
      const [code] = rest;
      check(messages[code], `no messages for ${code}`);
      await pageOf(user).selectOption('#lang-select', code);
      langs.set(user, code);
      signal(`LANG ${user} ${code}`);
    } else if (name === 'axe') {
      await checkAccessibility(pageOf(user), rest.join(' '));
      signal(`AXE ${user}`);
    } else {
      check(false, `unknown command ${line}`);
    }
  }
});
