// The console's shared layout: the header (product name, pages for the user's role, who is
// signed in and, for agents, their state, the language switch, log out), the login view,
// the message line and the API helper. A page calls `startPage` with what it needs; this file
// owns the session. Plain JS modules, no build step; data goes in through textContent only.
'use strict';

import { t, human, translate, useLanguage, preferredLanguage, currentLanguage, LANGUAGES } from '/i18n.js';

export const $ = (id) => document.getElementById(id);

/** The pages of the console and who sees them in the navigation (first match is home). */
const PAGES = [
  { href: '/agent', key: 'nav.desk', for: (who) => Boolean(who.agent) },
  { href: '/wallboard', key: 'nav.wallboard', for: (who) => ['admin', 'supervisor'].includes(who.role) },
  { href: '/staffing', key: 'staffing.nav', for: (who) => ['admin', 'supervisor'].includes(who.role) },
  { href: '/reports', key: 'nav.reports', for: (who) => ['admin', 'supervisor'].includes(who.role) },
  { href: '/admin', key: 'nav.admin', for: (who) => ['admin', 'supervisor'].includes(who.role) },
  { href: '/review', key: 'review.nav', for: (who) => ['admin', 'supervisor', 'qa'].includes(who.role) },
  { href: '/review', key: 'qa.my_reviews', for: (who) => who.role === 'agent' },
  { href: '/qa-reports', key: 'qa.reports_nav', for: (who) => ['admin', 'supervisor'].includes(who.role) },
];

/** Names of the languages in themselves, for the switch. */
const LANGUAGE_NAMES = { en: 'English', ko: '한국어' };

export const session = { who: null };

export class ApiError extends Error {
  constructor(status, detail, retryAfter, data) {
    super(`${status} ${detail}`);
    this.status = status;
    this.detail = detail;
    this.retryAfter = retryAfter;
    /** The answer's JSON, when it had some (`{"errors": [{"field", "message"}]}`...). */
    this.data = data;
  }
}

/** One JSON request to the switch, with the session's CSRF token; throws ApiError. */
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    if (session.who && session.who.csrf_token) headers['X-CSRF-Token'] = session.who.csrf_token;
  }
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, e.message);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (_) {
    data = null;
  }
  if (!response.ok) {
    let detail = data && typeof data.error === 'string' ? data.error : text.trim() || response.statusText;
    if (data && Array.isArray(data.errors)) {
      detail = data.errors.map((e) => (typeof e === 'string' ? e : [e.field, e.message].filter(Boolean).join(': '))).join('; ');
    }
    const retry = Number(response.headers.get('Retry-After'));
    throw new ApiError(response.status, detail, Number.isFinite(retry) && retry > 0 ? retry : null, data);
  }
  return data;
}

/** An error as a sentence in the chosen language (the server's detail kept where useful). */
export function explain(e) {
  if (!(e instanceof ApiError)) return t('error.unexpected', { detail: e.message });
  switch (e.status) {
    case 0:
      return t('error.unreachable');
    case 401:
      return t('error.session_ended');
    case 403:
      return t('error.forbidden', { detail: e.detail });
    case 503:
      return t('error.busy');
    default:
      return t('error.failed', { status: e.status, detail: e.detail });
  }
}

/** The message line under the page's title: `kind` is `error`, `info` or empty. */
export function say(text, kind) {
  const m = $('message');
  m.textContent = text || '';
  m.className = kind ? `message ${kind}` : 'message';
  m.hidden = !text;
}

function element(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === 'text') el.textContent = value;
    else if (name.startsWith('data-')) el.setAttribute(name, value);
    else el[name] = value;
  }
  el.append(...children);
  return el;
}
export { element as el };

function buildHeader() {
  const header = element('header', { className: 'app-header' });
  const skip = element('a', { className: 'skip', href: '#main', 'data-i18n': 'app.skip' });
  const brand = element('a', { className: 'brand', href: '/' },
    element('span', { className: 'brand-mark', text: '☎' }), ' Switchboard');
  brand.querySelector('.brand-mark').setAttribute('aria-hidden', 'true');
  const nav = element('nav', { id: 'app-nav', 'data-i18n-label': 'nav.label' }, element('ul', { id: 'nav-list' }));
  const who = element('div', { id: 'who', className: 'who', hidden: true },
    element('span', { className: 'who-name' },
      element('span', { id: 'who-role', className: 'who-role' }), ' ',
      element('strong', { id: 'who-user' })),
    element('span', { id: 'my-state', className: 'state', hidden: true }),
    element('button', { id: 'logout', type: 'button', className: 'quiet', 'data-i18n': 'app.logout' }));
  const select = element('select', { id: 'lang-select' });
  for (const code of LANGUAGES) {
    const option = element('option', { value: code, text: LANGUAGE_NAMES[code] });
    option.lang = code;
    select.append(option);
  }
  const language = element('div', { className: 'lang' },
    element('label', { htmlFor: 'lang-select', 'data-i18n': 'app.language' }), select);
  header.append(brand, nav, who, language);
  document.body.prepend(skip, header);
}

function buildLogin(titleKey) {
  const panel = $('login-panel');
  const form = element('form', { id: 'login-form', className: 'card login', noValidate: false },
    element('h2', { id: 'login-title', 'data-i18n': titleKey }),
    element('p', { className: 'hint', 'data-i18n': 'login.hint' }),
    element('label', { htmlFor: 'login-username', 'data-i18n': 'login.username' }),
    element('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true }),
    element('label', { htmlFor: 'login-password', 'data-i18n': 'login.password' }),
    element('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    element('p', { id: 'login-error', className: 'message error', hidden: true }),
    element('button', { id: 'login-button', type: 'submit', className: 'primary', 'data-i18n': 'login.submit' }));
  form.setAttribute('aria-labelledby', 'login-title');
  panel.replaceChildren(form);
  $('login-error').setAttribute('role', 'alert');
}

/** Why a login failed, for a person: wrong credentials, locked out, busy, unreachable. */
function loginProblem(e) {
  if (!(e instanceof ApiError)) return t('error.unexpected', { detail: e.message });
  if (e.status === 401 || e.status === 400 || e.status === 422) return t('login.invalid');
  if (e.status === 429) {
    const minutes = Math.max(1, Math.ceil((e.retryAfter || 60) / 60));
    return t('login.locked', { minutes });
  }
  if (e.status === 503) return t('login.busy');
  return explain(e);
}

function fillNav(who) {
  const list = $('nav-list');
  list.replaceChildren();
  if (!who) return;
  for (const p of PAGES.filter((page) => page.for(who))) {
    const a = element('a', { href: p.href, 'data-i18n': p.key });
    if (p.href === location.pathname) a.setAttribute('aria-current', 'page');
    list.append(element('li', {}, a));
  }
  translate(list);
}

/** The agent's state in the header: a word (and icon) on a colour, never the colour alone. */
export function showMyState(agent) {
  const badge = $('my-state');
  if (!agent) {
    badge.hidden = true;
    return;
  }
  stateBadge(badge, agent);
  badge.hidden = false;
}

/** Fills `el` with an agent's state as people say it, e.g. "Paused · Lunch". */
export function stateBadge(el, agent) {
  const offline = agent.phone_offline === true || agent.registered === false;
  el.className = `state state-${agent.state}${offline ? ' offline' : ''}`;
  el.dataset.state = agent.state;
  let text = human('state', agent.state);
  if (agent.reason) text += ` · ${human('reason', agent.reason)}`;
  if (offline) text += ` · ${t('state.phone_offline')}`;
  el.textContent = text;
}

/**
 * Starts a page: language, header, login, session. `spec`:
 *   titleKey  the page's name (document title and heading);
 *   loginKey  the login form's heading;
 *   allows(who)  whether this account may use the page;
 *   open(who)    show the page for a signed-in user (may be async);
 *   close()      forget the user's data (logout, session ended);
 *   relabel()    redraw what the page wrote itself after a language change.
 */
export async function startPage(spec) {
  await useLanguage(preferredLanguage(), false);
  buildHeader();
  buildLogin(spec.loginKey);
  translate(document);
  const title = () => {
    document.title = `${t(spec.titleKey)} — Switchboard`;
  };
  title();
  $('lang-select').value = currentLanguage();
  $('lang-select').addEventListener('change', async (event) => {
    await useLanguage(event.target.value, true);
    title();
    if (session.who) {
      $('who-role').textContent = human('role', session.who.role);
      if (spec.relabel) spec.relabel();
    }
  });
  $('login-form').addEventListener('submit', (event) => logIn(event, spec));
  $('logout').addEventListener('click', () => logOut(spec));
  let who = null;
  try {
    who = await api('GET', '/api/session');
  } catch (e) {
    say(explain(e), 'error');
  }
  if (who && who.logged_in) await enter(who, spec);
  else showLogin();
}

function showLogin() {
  $('login-panel').hidden = false;
  $('page').hidden = true;
  $('who').hidden = true;
  fillNav(null);
  $('login-username').focus();
}

async function logIn(event, spec) {
  event.preventDefault();
  const error = $('login-error');
  error.hidden = true;
  say('');
  $('login-button').disabled = true;
  try {
    const who = await api('POST', '/api/login', {
      username: $('login-username').value,
      password: $('login-password').value,
    });
    $('login-password').value = '';
    await enter(who, spec);
  } catch (e) {
    error.textContent = loginProblem(e);
    error.hidden = false;
    $('login-password').focus();
  } finally {
    $('login-button').disabled = false;
  }
}

async function enter(who, spec) {
  session.who = who;
  $('who-user').textContent = who.username;
  $('who-role').textContent = human('role', who.role);
  $('who').hidden = false;
  fillNav(who);
  $('login-panel').hidden = true;
  if (!spec.allows(who)) {
    const home = PAGES.find((p) => p.for(who));
    if (home && home.href !== location.pathname) {
      location.replace(home.href);
      return;
    }
    say(t('app.not_for_you'), 'error');
    return;
  }
  $('page').hidden = false;
  await spec.open(who);
}

async function logOut(spec) {
  try {
    await api('POST', '/api/logout');
  } catch (e) {
    if (e.status !== 401) say(explain(e), 'error');
  }
  endSession(spec);
}

/** Back to the login view (logout, or the session ended under the page). */
export function endSession(spec, why) {
  if (spec.close) spec.close();
  session.who = null;
  showMyState(null);
  showLogin();
  if (why) say(why, 'error');
}
