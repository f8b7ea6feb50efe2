// Language, messages and formats for every page of the console. The messages live in
// /i18n/<lang>.json (flat keys); the language is the one the user picked (remembered in
// localStorage), else the first of the browser's languages we have, else English. Numbers,
// dates and durations go through Intl in that language. Codes from the switch (states, pause
// reasons, wrap-up codes, outcomes...) get human names from the messages, falling back to the
// code with spaces, so a reason configured on the switch but not translated still reads well.
'use strict';

export const LANGUAGES = ['en', 'ko'];
const STORAGE_KEY = 'switchboard.lang';

let lang = 'en';
let messages = {};
/** English, for a key the chosen language lacks (the tests keep both complete). */
let english = {};

export const currentLanguage = () => lang;

/** The language to start with: remembered, else the browser's, else English. */
export function preferredLanguage() {
  let stored = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch (_) {
    // Storage refused (private mode): the browser's languages decide.
  }
  if (LANGUAGES.includes(stored)) return stored;
  for (const tag of navigator.languages || [navigator.language || 'en']) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

async function fetchMessages(code) {
  const response = await fetch(`/i18n/${code}.json`, { cache: 'no-cache' });
  if (!response.ok) throw new Error(`/i18n/${code}.json: ${response.status}`);
  return response.json();
}

/** Loads `code`'s messages and makes it the page's language (remembered if `remember`). */
export async function useLanguage(code, remember) {
  if (!LANGUAGES.includes(code)) code = 'en';
  if (Object.keys(english).length === 0) english = await fetchMessages('en');
  messages = code === 'en' ? english : await fetchMessages(code);
  lang = code;
  document.documentElement.lang = code;
  if (remember) {
    try {
      localStorage.setItem(STORAGE_KEY, code);
    } catch (_) {
      // Not remembered; the choice still holds for this page.
    }
  }
  translate(document);
}

/** The message `key`, with `{name}` placeholders filled from `vars`. */
export function t(key, vars) {
  const text = messages[key] ?? english[key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** Whether the messages name `key` (a code with a translation). */
export const has = (key) => key in messages || key in english;

/** A code's human name: `state.on_call` → "On a call"; unknown codes read as words. */
export function human(kind, code) {
  if (code === null || code === undefined || code === '') return '—';
  const key = `${kind}.${code}`;
  return has(key) ? t(key) : String(code).replaceAll('_', ' ');
}

/** Fills every `data-i18n` element's text and `data-i18n-label` element's aria-label. */
export function translate(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  }
  for (const el of root.querySelectorAll('[data-i18n-title]')) {
    el.setAttribute('title', t(el.dataset.i18nTitle));
  }
}

// ---- formats ----

const empty = (x) => x === null || x === undefined || Number.isNaN(x);

export const number = (n) => (empty(n) ? '—' : new Intl.NumberFormat(lang).format(n));

export const percent = (x) =>
  empty(x) ? '—' : new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 0 }).format(x);

/** A number and its unit stay on one line ("0 sec" never wraps between them on a narrow
 * wallboard card); lines may still break between units. */
const keepUnits = (text) => text.replace(/(\d)[\s\u202f]+(?=[^\d\s])/gu, '$1\u00a0');

/** Seconds as "1 min 5 s" / "1분 5초" (whole seconds; hours past an hour). */
export function duration(seconds) {
  return keepUnits(durationText(seconds));
}

function durationText(seconds) {
  if (empty(seconds)) return '—';
  const total = Math.max(0, Math.round(seconds));
  const parts = { hours: Math.floor(total / 3600), minutes: Math.floor((total % 3600) / 60), seconds: total % 60 };
  if (typeof Intl.DurationFormat === 'function') {
    if (parts.hours === 0) delete parts.hours;
    if (parts.hours === undefined && parts.minutes === 0) delete parts.minutes;
    // Zero units are left out, except the seconds: "0 sec", never an empty string.
    return new Intl.DurationFormat(lang, { style: 'short', secondsDisplay: 'always' }).format(parts);
  }
  const unit = (value, u) =>
    new Intl.NumberFormat(lang, { style: 'unit', unit: u, unitDisplay: 'short' }).format(value);
  const out = [];
  if (parts.hours) out.push(unit(parts.hours, 'hour'));
  if (parts.hours || parts.minutes) out.push(unit(parts.minutes, 'minute'));
  out.push(unit(parts.seconds, 'second'));
  return out.join(' ');
}

/** An RFC 3339 time as the locale writes a date and time; the raw text if unreadable. */
export function dateTime(iso) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso ?? '—';
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(at);
}

/** A clock time (hours, minutes, seconds) in the locale's format. */
export const clock = (at) => new Intl.DateTimeFormat(lang, { timeStyle: 'medium' }).format(at);
