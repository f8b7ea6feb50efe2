// An agent's desk in tabs, driven line by line from stdin by the Rust tests of the browser
// phone's less travelled paths (tests/tests/browser_phone_paths.rs): headless Chromium whose
// fake microphone plays SB_TONE_WAV. All tabs share one browser profile (one session, one
// localStorage), as an agent's tabs do.
// Commands (one a line; each answered `OK <command> [detail]` or `FAILED <why>`, then exit 1):
//   login TAB              open TAB, log in as SB_USER, sign in to the queues, turn the browser
//                          phone on from the keyboard and wait until it is registered
//   open TAB               another tab on /agent: the phone turns on by itself (kept on in
//                          this browser) and registers
//   state TAB STATE        wait until TAB's phone is in STATE (registered, ringing, talking...)
//   held TAB true|false    wait until TAB's phone shows the call held (or not)
//   click TAB LABEL        click TAB's button named LABEL (Answer, Decline, Hold, Resume...)
//   hear TAB HZ            wait until TAB's phone plays HZ (AnalyserNode); detail: the peak
//   status TAB             detail: TAB's phone status line
//   close TAB              close TAB (as the agent closing it)
//   done                   PASSED, exit 0
import { check, env, logIn, signal, stepper, Failure } from './lib.mjs';
import { launchWithMicrophone, waitFor, waitToHear } from './call_lib.mjs';
import { createInterface } from 'node:readline';

const step = stepper('agent_tabs');
const url = env('SB_URL');
const user = env('SB_USER');
const password = env('SB_PASSWORD');
const wav = env('SB_TONE_WAV');
const browser = await launchWithMicrophone(wav);
const context = await browser.newContext({ locale: 'en-US' });
await context.addInitScript(() => {
  window.switchboardPhoneAudio = { echoCancellation: false, autoGainControl: false, noiseSuppression: false };
});
const tabs = new Map();

const phoneOf = (page) => page.evaluate(() => ({
  state: document.getElementById('phone').dataset.state,
  held: document.getElementById('phone').dataset.held,
  status: document.getElementById('phone-status').textContent,
}));

async function waitPhone(page, what, probe, ms = 30000) {
  let last = null;
  await waitFor(what, ms, async () => {
    last = await phoneOf(page);
    check(last.state !== 'failed', `the phone failed: ${JSON.stringify(last)}`);
    return probe(last);
  }).catch((e) => { throw new Failure(`${e.message} (last: ${JSON.stringify(last)})`); });
  return last;
}

function tab(name) {
  const page = tabs.get(name);
  check(page, `no tab ${name}`);
  return page;
}

async function open(name) {
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.on('pageerror', (e) => console.error(`agent_tabs ${name} page error: ${e.message}`));
  tabs.set(name, page);
  await page.goto(`${url}/agent`);
  return page;
}

const commands = {
  async login(name) {
    const page = await open(name);
    await page.waitForSelector('#login-form', { state: 'visible' });
    await logIn(page, user, password);
    await page.click('#acd-login');
    await waitFor('the agent signed in', 10000, async () => (await page.getAttribute('#agent-state', 'data-state')) === 'available');
    const toggle = page.getByRole('checkbox', { name: 'Answer in the browser' });
    await toggle.focus();
    await page.keyboard.press('Space');
    await waitPhone(page, 'the phone registered', (p) => p.state === 'registered', 15000);
  },
  async open(name) {
    const page = await open(name);
    await waitPhone(page, 'the phone registered', (p) => p.state === 'registered', 15000);
  },
  async state(name, want) {
    await waitPhone(tab(name), `the phone ${want}`, (p) => p.state === want);
  },
  async held(name, want) {
    await waitPhone(tab(name), `the phone held=${want}`, (p) => p.held === want, 10000);
  },
  async click(name, ...label) {
    await tab(name).getByRole('button', { name: label.join(' '), exact: true }).click();
  },
  async hear(name, hz) {
    const page = tab(name);
    await waitFor('the remote audio', 10000, () => page.evaluate(() => Boolean(document.getElementById('phone-audio').srcObject)));
    const peak = await waitToHear(page, '#phone-audio', Number(hz));
    return peak.hz.toFixed(1);
  },
  async status(name) {
    return (await phoneOf(tab(name))).status;
  },
  async close(name) {
    await tab(name).close();
    tabs.delete(name);
  },
};

try {
  for await (const line of createInterface({ input: process.stdin })) {
    const [verb, ...args] = line.trim().split(/\s+/);
    if (verb === 'done') break;
    const command = commands[verb];
    check(command, `unknown command ${line}`);
    step(line);
    const detail = await command(...args);
    signal(`OK ${line}${detail === undefined ? '' : ` => ${detail}`}`);
  }
  signal('PASSED');
} catch (e) {
  signal(`FAILED ${e instanceof Failure ? e.message : e.stack || e}`);
  process.exitCode = 1;
} finally {
  process.stdin.destroy();
  await browser.close();
}
