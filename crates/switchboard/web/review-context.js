// What the review page shows beside the player: the call's context from the existing API
// (the CDR, its customer and grade, queue, wait, IVR choices, the call's wrap-up and the
// customer's other contacts), and, without `?cdr=`, the recent answered calls to pick from.
'use strict';

import { $, api, el } from '/app.js';
import { t, human, dateTime, duration } from '/i18n.js';

const seconds = (from, to) => (from && to ? (new Date(to) - new Date(from)) / 1000 : null);

/** Recent answered calls, each a link to its review. */
export async function showCalls() {
  const list = await api('GET', '/api/cdrs?limit=100');
  const answered = (list || []).filter((c) => c.disposition === 'answered' && c.ended_at);
  $('pick-empty').hidden = answered.length > 0;
  $('calls').hidden = answered.length === 0;
  $('call-rows').replaceChildren(...answered.map((c) => {
    const link = el('a', { href: `/review?cdr=${encodeURIComponent(c.call_id)}`, text: t('review.open') });
    link.setAttribute('aria-label', t('review.open_call', { caller: c.caller, at: dateTime(c.started_at) }));
    return el('tr', {},
      el('td', { text: dateTime(c.started_at) }),
      el('td', { text: [c.caller, c.caller_name].filter(Boolean).join(' ') }),
      el('td', { text: c.agent || c.callee }),
      el('td', { text: c.queue || '—' }),
      el('td', { text: duration(c.billable_s) }),
      el('td', {}, link));
  }));
}

/**
 * The call's customer (or null) and contacts: the customer's when known, else the caller
 * number's. A 403 or 404 leaves that part empty rather than failing the page.
 */
export async function loadContext(cdr) {
  const quiet = (p) => p.catch((e) => (e.status === 403 || e.status === 404 ? null : Promise.reject(e)));
  const customer = cdr.customer_id === null || cdr.customer_id === undefined
    ? null
    : await quiet(api('GET', `/api/customers/${encodeURIComponent(cdr.customer_id)}`));
  const contacts = customer
    ? await quiet(api('GET', `/api/customers/${encodeURIComponent(customer.id)}/contacts?limit=20`))
    : await quiet(api('GET', `/api/contacts?number=${encodeURIComponent(cdr.caller)}&limit=20`));
  return { cdr, customer, contacts: contacts || [] };
}

/** Fills the context panel (again after a language change). */
export function showContext({ cdr, customer, contacts }) {
  $('ctx-caller').textContent = [cdr.caller, cdr.caller_name].filter(Boolean).join(' ');
  $('ctx-agent').textContent = cdr.agent || [cdr.callee, cdr.callee_name].filter(Boolean).join(' ');
  $('ctx-customer').textContent = customer ? customer.name : t('pop.unknown');
  const grade = $('ctx-grade');
  grade.textContent = customer ? human('grade', customer.grade) : '—';
  grade.className = customer ? `grade ${customer.grade}` : 'grade';
  $('ctx-queue').textContent = cdr.queue || '—';
  $('ctx-started').textContent = dateTime(cdr.started_at);
  $('ctx-wait').textContent = duration(seconds(cdr.started_at, cdr.answered_at));
  $('ctx-talk').textContent = duration(cdr.billable_s);
  const own = contacts.find((c) => c.call_id === cdr.call_id);
  $('ctx-code').textContent = own && own.wrap_up_code ? human('code', own.wrap_up_code) : '—';
  $('ctx-notes').textContent = (own && own.notes) || '—';
  const vars = Object.entries(cdr.vars || {});
  // A list holds only name/value pairs: no choices is said beside it.
  $('ctx-ivr-none').hidden = vars.length > 0;
  $('ctx-ivr-none').textContent = t('pop.no_ivr');
  $('ctx-ivr').hidden = vars.length === 0;
  $('ctx-ivr').replaceChildren(...vars.flatMap(([name, value]) => [el('dt', { text: name }), el('dd', { text: value })]));
  const others = contacts.filter((c) => c.call_id !== cdr.call_id);
  $('ctx-history-empty').hidden = others.length > 0;
  $('ctx-history').hidden = others.length === 0;
  $('ctx-history-rows').replaceChildren(...others.map((c) => el('tr', {},
    el('td', { text: dateTime(c.at) }),
    el('td', { text: c.agent || '—' }),
    el('td', { text: human('outcome', c.outcome) }),
    el('td', { text: c.wrap_up_code ? human('code', c.wrap_up_code) : '—' }),
    el('td', { text: c.notes || '' }))));
}
