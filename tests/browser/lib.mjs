// What the console's browser scripts share: launching Debian's Chromium through playwright-core,
// a page that records script errors and CSP violations, the axe-core check (injected through
// the DevTools protocol, so the page's own policy stays strict), screenshots, and the
// step / check / READY-line conventions tests/tests/browser.rs reads.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const I18N = new URL('../../crates/switchboard/web/i18n/', import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export class Failure extends Error {}

/** The switch's own message file for `lang`, read from the source tree: the expected texts. */
export const messagesOf = (lang) => JSON.parse(readFileSync(new URL(`${lang}.json`, I18N), 'utf8'));

export function check(ok, message) {
  if (!ok) throw new Failure(message);
}

/** An environment variable the script needs (exit 2 when missing). */
export function env(name, fallback) {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') {
    console.error(`set ${name}`);
    process.exit(2);
  }
  return v;
}

export const shots = process.env.SB_SHOTS || '';

export function stepper(script) {
  return (what) => console.error(`${script}: ${what}`);
}

/** A line on stdout for the Rust test, which waits for it. */
export function signal(line) {
  process.stdout.write(`${line}\n`);
}

export async function launch() {
  const args = [
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--font-render-hinting=none',
  ];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  const executablePath = process.env.SB_CHROMIUM || '/usr/bin/chromium';
  return chromium.launch({ executablePath, headless: true, args });
}

/**
 * A fresh browser profile in `locale` (its navigator.languages; `timezoneId` its clock's zone,
 * the machine's by default) and a page in it; downloads are kept. Script
 * errors, console errors (a 401 on first load among them) and CSP reports go to `problems`.
 */
export async function openPage(browser, { locale = 'en-US', viewport = { width: 1366, height: 900 }, timezoneId } = {}) {
  const context = await browser.newContext({ locale, viewport, timezoneId, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  return { context, page, problems };
}

/**
 * Forgets Chromium's console line for an answer the test provoked on purpose (a refused login,
 * a refused change): `status` is the HTTP status it expects to have been logged.
 */
export function forgetRefusal(problems, status) {
  const line = `the server responded with a status of ${status}`;
  const kept = problems.filter((p) => !p.includes(line));
  check(kept.length < problems.length, `no ${status} answer was logged: ${problems.join('; ')}`);
  problems.splice(0, problems.length, ...kept);
}

/** axe-core on the page as shown: fails on any serious or critical violation. */
export async function checkAccessibility(page, label) {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ['violations'] }),
  );
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = result.violations.length - bad.length;
  const describe = (v) =>
    `${v.impact} ${v.id}: ${v.help} — ${v.nodes
      .slice(0, 3)
      .map((n) => n.target.join(' '))
      .join(' | ')}`;
  console.error(`axe ${label}: ${bad.length} serious/critical, ${minor} minor`);
  for (const v of result.violations) console.error(`  ${describe(v)}`);
  check(bad.length === 0, `axe-core on ${label}:\n${bad.map(describe).join('\n')}`);
  return result.violations.length;
}

/** A full-page screenshot `name`.png in SB_SHOTS (kept by the Rust test as an artifact). */
export async function screenshot(page, name) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** The trimmed text of the first element matching `selector`. */
export const text = (page, selector) => page.$eval(selector, (e) => e.textContent.trim());

/** Logs in through the page's shared login form; waits for the page's content. */
export async function logIn(page, user, password) {
  await page.fill('#login-username', user);
  await page.fill('#login-password', password);
  await page.click('#login-button');
  await page.waitForSelector('#page', { state: 'visible' });
}

/** Runs `body`; on failure a screenshot `<script>-failure.png`, the page's messages, exit 1. */
export async function run(script, body) {
  const browser = await launch();
  const state = { page: null, problems: [] };
  let failed = false;
  try {
    await body(browser, state);
    check(state.problems.length === 0, state.problems.join('\n'));
    signal('PASSED');
  } catch (e) {
    failed = true;
    console.error(`${script}: FAILED: ${e instanceof Failure ? e.message : e.stack || e}`);
    if (state.problems.length) console.error(state.problems.join('\n'));
    if (state.page) {
      try {
        const shown = await state.page.evaluate(() =>
          ['message', 'login-error']
            .map((id) => document.getElementById(id))
            .filter((m) => m && !m.hidden && m.textContent)
            .map((m) => m.textContent)
            .join(' / '),
        );
        if (shown) console.error(`${script}: the page says: ${shown}`);
        await screenshot(state.page, `${script}-failure`);
      } catch (shotError) {
        console.error(`${script}: no screenshot: ${shotError.message}`);
      }
    }
  } finally {
    await browser.close();
  }
  process.exit(failed ? 1 : 0);
}

/** Waits until the agent desk shows the agent in `state` (`data-state`). */
export const waitState = (page, state) =>
  page.waitForFunction((s) => document.getElementById('agent-state').dataset.state === s, state);

/** Waits until the desk's call status is one of `statuses`, for up to `timeout` ms. */
export const waitStatus = (page, statuses, timeout) =>
  page.waitForFunction(
    (ss) => ss.includes(document.getElementById('call-status').dataset.status),
    statuses,
    { timeout },
  );

/** Waits for the message line to say `want` (or an error) and checks it says `want`. */
export async function expectSaid(page, want) {
  await page.waitForFunction(
    (w) => {
      const msg = document.getElementById('message');
      return !msg.hidden && (msg.textContent === w || msg.classList.contains('error'));
    },
    want,
  );
  const said = await text(page, '#message');
  check(said === want, `the page says "${said}", expected "${want}"`);
}

/** Waits until the player's position is within 0.15 s of `want` and not seeking. */
export const waitAt = (page, want) => page.waitForFunction((w) => {
  const a = document.getElementById('player-audio');
  return !a.seeking && Math.abs(a.currentTime - w) <= 0.15;
}, want);
