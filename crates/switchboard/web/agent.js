// The agent desk: the agent's state and its buttons, screen pops (server-sent events from
// /api/agents/{id}/screen), wrap-up of the call, the caller's contact history, and calls the
// agent places (click-to-dial, agent-dial.js), whose pops drive the desk too. The layout,
// login and language come from app.js; every text from the message files.
'use strict';

import { $, api, explain, say, showMyState, stateBadge, startPage, endSession, el } from '/app.js';
import { t, human, duration, dateTime, currentLanguage } from '/i18n.js';
import { callButton, isMyDial, openDial, relabelDial } from '/agent-dial.js';
import { openConsult, relabelConsult } from '/agent-consult.js';
import { openPhone, closePhone, relabelPhone } from '/agent-phone.js';

const POLL_MS = 1500;

const desk = {
  agent: null,
  me: null,
  events: null,
  poll: null,
  polling: false,
  codes: [],
  reasons: [],
  // The call of the pop on screen, what the page knows about it, and the history shown.
  pop: null,
  /** Whether the pop's call was placed from this page (click-to-dial). */
  popDialled: false,
  status: 'none',
  statusVars: null,
  ended: false,
  history: [],
};

const page = {
  titleKey: 'desk.title',
  loginKey: 'login.title_agent',
  allows: (who) => Boolean(who.agent),
  open: openDesk,
  close: closeDesk,
  relabel,
};

function agentPath(action) {
  return `/api/agents/${encodeURIComponent(desk.agent)}/${action}`;
}

async function openDesk(who) {
  desk.agent = who.agent;
  $('agent-id').textContent = who.agent;
  $('agent-name').textContent = who.username;
  setStatus('none');
  showPop(null);
  showHistory([]);
  openDial(agentPath);
  openConsult(agentPath);
  openPhone();
  await loadChoices();
  await refreshState();
  listenForPops();
  desk.poll = setInterval(refreshState, POLL_MS);
}

function closeDesk() {
  closePhone();
  if (desk.events) desk.events.close();
  if (desk.poll) clearInterval(desk.poll);
  Object.assign(desk, { agent: null, me: null, events: null, poll: null, pop: null, popDialled: false, history: [] });
}

/** After a language change: everything this script wrote itself. */
function relabel() {
  fillSelect('wrap-up-code', desk.codes, 'code');
  fillSelect('pause-reason', desk.reasons, 'reason');
  if (desk.me) showState(desk.me);
  setStatus(desk.status, desk.statusVars);
  showPop(desk.pop);
  showHistory(desk.history);
  relabelDial();
  relabelConsult();
  relabelPhone();
}

function fillSelect(id, values, kind) {
  const select = $(id);
  const chosen = select.value;
  select.replaceChildren(...values.map((v) => el('option', { value: v, text: human(kind, v) })));
  if (values.includes(chosen)) select.value = chosen;
}

async function loadChoices() {
  try {
    desk.codes = await api('GET', '/api/wrap-up-codes');
    desk.reasons = await api('GET', '/api/pause-reasons');
  } catch (e) {
    say(explain(e), 'error');
  }
  fillSelect('wrap-up-code', desk.codes, 'code');
  fillSelect('pause-reason', desk.reasons, 'reason');
}

// ---- the agent's state ----

async function refreshState() {
  // One poll at a time: a slow answer must not overlap the next tick.
  if (desk.polling || !desk.agent) return;
  desk.polling = true;
  try {
    await pollState();
  } finally {
    desk.polling = false;
  }
}

async function currentAgent() {
  const agents = await api('GET', '/api/agents');
  return agents.find((a) => a.id === desk.agent) || null;
}

async function pollState() {
  let me;
  try {
    me = await currentAgent();
  } catch (e) {
    if (e.status === 401) endSession(page, t('error.session_ended'));
    else say(explain(e), 'error');
    return;
  }
  if (!me) {
    say(t('desk.not_configured', { agent: desk.agent }), 'error');
    return;
  }
  desk.me = me;
  showState(me);
  if (desk.pop && !desk.ended) {
    if (desk.popDialled) await followDial();
    else if (me.call_id === desk.pop.call_id) setStatus(me.state === 'on_call' ? 'on_call' : 'ringing');
    else await checkEnded();
  }
}

/** Which buttons make sense in each state (the switch refuses the others anyway). */
const ALLOWED = {
  'acd-login': (s) => s === 'logged_out',
  ready: (s) => s === 'wrap_up',
  unpause: (s) => s === 'paused',
  pause: (s) => s !== 'logged_out' && s !== 'paused',
  'pause-reason': (s) => s !== 'logged_out' && s !== 'paused',
  'acd-logout': (s) => s !== 'logged_out' && s !== 'on_call',
};

function showState(me) {
  if (me.name) $('agent-name').textContent = me.name;
  stateBadge($('agent-state'), me);
  showMyState(me);
  $('agent-since').textContent = t('desk.since', { time: duration(me.in_state_s) });
  const focused = document.activeElement;
  for (const [id, allowed] of Object.entries(ALLOWED)) $(id).disabled = !allowed(me.state);
  // A button that just did its job is disabled now: keep the keyboard in the panel.
  if (focused && focused.disabled) {
    const next = Object.keys(ALLOWED).map($).find((b) => !b.disabled && b.tagName === 'BUTTON');
    if (next) next.focus();
  }
}

async function command(action, body) {
  say('');
  try {
    await api('POST', agentPath(action), body);
    say(t(`desk.done.${action}`), 'info');
  } catch (e) {
    say(explain(e), 'error');
  }
  await refreshState();
}

// ---- screen pops ----

function listenForPops() {
  if (desk.events) desk.events.close();
  const source = new EventSource(agentPath('screen'));
  source.addEventListener('pop', async (event) => {
    let pop;
    try {
      pop = JSON.parse(event.data);
    } catch (e) {
      say(t('desk.bad_pop', { detail: e.message }), 'error');
      return;
    }
    await offered(pop);
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) say(t('desk.pops_stopped'), 'error');
  });
  desk.events = source;
}

/**
 * A pop from the stream. The stream starts with the agent's latest pop, which may be a call
 * from yesterday: a pop is shown only while its call is the agent's (ringing or talking), or
 * in the wrap-up that follows it (offers go to available agents only, so in wrap-up the latest
 * pop is the call being wrapped up). Issue 9: after login the page showed the previous call.
 */
async function offered(pop) {
  try {
    await judge(pop);
  } finally {
    // How many pops the stream brought and the page judged (shown or not): the browser test
    // waits for the first before it checks that an old one is not shown.
    const call = $('call');
    call.dataset.popsReceived = String(Number(call.dataset.popsReceived || 0) + 1);
  }
}

async function judge(pop) {
  if (desk.pop && desk.pop.call_id === pop.call_id) return;
  let me;
  try {
    me = await currentAgent();
  } catch (e) {
    say(explain(e), 'error');
    return;
  }
  // A call the agent placed from this page is theirs whatever the ACD's state says.
  const dialled = await isMyDial(pop.call_id);
  if (!me || (me.call_id !== pop.call_id && me.state !== 'wrap_up' && !dialled)) return;
  desk.ended = false;
  desk.pop = pop;
  desk.popDialled = dialled;
  $('call').dataset.callId = pop.call_id;
  if (dialled) setStatus('dialling', { number: pop.caller });
  else setStatus('offered', { caller: pop.caller });
  showPop(pop);
  showHistory(pop.history || []);
  $('wrap-up-notes').value = '';
  $('wrap-up-fields').disabled = false;
  const who = pop.customer ? pop.customer.name : t('pop.unknown');
  $('pop-announcer').textContent = t('pop.announce', { caller: pop.caller, customer: who });
}

/**
 * The call's variables the switch keeps for its own records (who answered, the queue, the
 * consult and transfer steps; docs/acd.md): shown above where they matter, not as the
 * caller's IVR choices.
 */
const SWITCH_VARS = new Set([
  'agent', 'queue', 'transfer', 'transferred_by', 'transfer_reason', 'transferred_to', 'transferred_at',
  'consult_to', 'consult_reason', 'consult_started_at', 'consult_s', 'conference_at',
  'monitored_by', 'monitor_modes',
]);

function setStatus(status, vars) {
  desk.status = status;
  desk.statusVars = vars || null;
  const line = $('call-status');
  line.dataset.status = status;
  line.textContent = t(`call.${status}`, vars);
}

function text(id, value) {
  $(id).textContent = value === null || value === undefined || value === '' ? '—' : String(value);
}

function languageName(code) {
  if (!code) return null;
  try {
    return new Intl.DisplayNames([currentLanguage()], { type: 'language' }).of(code) || code;
  } catch (_) {
    return code;
  }
}

function showPop(pop) {
  $('call-details').hidden = !pop;
  if (!pop) {
    $('wrap-up-fields').disabled = true;
    return;
  }
  const c = pop.customer;
  text('caller', pop.caller);
  $('caller-call').replaceChildren(...(pop.caller && !dialledPop(pop) ? [callButton(pop.caller)] : []));
  const phones = c && Array.isArray(c.phones) ? c.phones : [];
  $('customer-phones').replaceChildren(
    ...phones.map((p) => el('li', {}, el('span', { text: p.number }), ' ', callButton(p.number))),
  );
  $('customer-phones-term').hidden = phones.length === 0;
  $('customer-phones-cell').hidden = phones.length === 0;
  $('caller-name').textContent = pop.caller_name ? `(${pop.caller_name})` : '';
  text('customer-name', c ? c.name : t('pop.unknown'));
  const grade = $('customer-grade');
  grade.textContent = c ? human('grade', c.grade) : '—';
  grade.dataset.grade = c ? c.grade : '';
  grade.className = c && c.grade === 'vip' ? 'grade vip' : 'grade';
  text('customer-segment', c && c.segment);
  text('customer-language', c && languageName(c.preferred_language));
  text('customer-notes', c && c.notes);
  text('queue', pop.queue);
  // A transferred call says who sent it and why (issue 12).
  const by = pop.vars && pop.vars.transferred_by;
  const why = pop.vars && pop.vars.transfer_reason;
  $('transferred').textContent = by ? (why ? t('pop.transferred_why', { agent: by, reason: why }) : by) : '';
  $('transferred').hidden = !by;
  $('transferred-term').hidden = !by;
  $('dialled').textContent = pop.dialled ? t('pop.dialled', { number: pop.dialled }) : '';
  // Both waits, named (issue 9); a call the agent placed waited for nothing: neither shown.
  const total = pop.waited_total_s ?? pop.waited_s;
  const inQueue = pop.waited_in_queue_s;
  const showWaits = !dialledPop(pop) && (total > 0 || inQueue > 0);
  text('waited-in-queue', duration(inQueue));
  text('waited-total', duration(total));
  for (const id of ['waited-in-queue', 'waited-in-queue-term']) $(id).hidden = !showWaits || inQueue === undefined;
  for (const id of ['waited-total', 'waited-total-term']) $(id).hidden = !showWaits;
  const vars = Object.entries(pop.vars || {}).filter(([name]) => !SWITCH_VARS.has(name));
  $('ivr-none').hidden = vars.length > 0;
  $('ivr-vars').hidden = vars.length === 0;
  $('ivr-vars').replaceChildren(...vars.flatMap(([name, value]) => [el('dt', { text: name }), el('dd', { text: value })]));
}

/** A click-to-dial pop: nobody waited (the switch sends both waits as 0). */
function dialledPop(pop) {
  return Boolean(pop.vars && pop.vars.click_to_dial !== undefined && !pop.queue);
}

/** A call placed from the page: its CDR says whether it is ringing, talking or over. */
async function followDial() {
  const id = desk.pop.call_id;
  try {
    const cdr = await api('GET', `/api/cdrs/${encodeURIComponent(id)}`);
    if (!desk.pop || desk.pop.call_id !== id) return;
    if (cdr.ended_at) {
      desk.ended = true;
      setStatus('ended');
      const customer = desk.pop.customer;
      if (customer) showHistory(await api('GET', `/api/customers/${customer.id}/contacts?limit=20`));
    } else if (cdr.answered_at) {
      setStatus('on_call');
    }
  } catch (e) {
    // Not written yet (404) right after the request: the next poll asks again.
    if (e.status !== 404) say(explain(e), 'error');
  }
}

/** The pop's call is no longer the agent's: wait for its contact row, then say so. */
async function checkEnded() {
  const customer = desk.pop.customer;
  if (!customer) {
    desk.ended = true;
    setStatus('ended');
    return;
  }
  try {
    const list = await api('GET', `/api/customers/${customer.id}/contacts?limit=20`);
    showHistory(list);
    const row = list.find((c) => c.call_id === desk.pop.call_id);
    if (!row) {
      setStatus('recording');
      return;
    }
    desk.ended = true;
    if (row.agent === desk.agent) setStatus('ended');
    else setStatus('ended_by', { agent: row.agent || t('call.nobody') });
  } catch (e) {
    say(explain(e), 'error');
  }
}

// ---- history and wrap-up ----

function showHistory(list) {
  desk.history = list;
  $('history-empty').hidden = list.length > 0;
  $('history').hidden = list.length === 0;
  $('history-rows').replaceChildren(
    ...list.map((c) => {
      const cells = [
        [c.at, dateTime(c.at)],
        [c.channel, human('channel', c.channel)],
        [c.queue, c.queue],
        [c.agent, c.agent],
        [c.outcome, human('outcome', c.outcome)],
        [c.wrap_up_code, c.wrap_up_code ? human('code', c.wrap_up_code) : ''],
        [c.notes, c.notes],
      ];
      const tr = el('tr', { 'data-call-id': c.call_id || '' });
      for (const [raw, shown] of cells) {
        const td = el('td', { text: shown === null || shown === undefined ? '' : String(shown) });
        td.dataset.value = raw === null || raw === undefined ? '' : String(raw);
        tr.append(td);
      }
      const call = el('td', {}, ...(c.number ? [callButton(c.number)] : []));
      call.dataset.value = c.number || '';
      tr.append(call);
      return tr;
    }),
  );
}

/** The history with `saved` in place of its older version (or first when new). */
function withContact(list, saved) {
  const rest = list.filter((c) => c.id !== saved.id);
  return [saved, ...rest].sort((a, b) => String(b.at).localeCompare(String(a.at)));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Posts the wrap-up. The call's contact row is written just after the call ends, so a quick
 * agent may be early (404): try again for a few seconds before saying so.
 */
async function postWrapUp(body) {
  const path = `/api/cdrs/${encodeURIComponent(desk.pop.call_id)}/wrap-up`;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await api('POST', path, body);
    } catch (e) {
      if (e.status !== 404 || attempt >= 6) throw e;
      await sleep(500 * attempt);
    }
  }
}

async function saveWrapUp(event) {
  event.preventDefault();
  if (!desk.pop) {
    say(t('wrap.no_call'), 'error');
    return;
  }
  say('');
  $('wrap-up-save').disabled = true;
  try {
    const saved = await postWrapUp({
      agent: desk.agent,
      code: $('wrap-up-code').value,
      notes: $('wrap-up-notes').value,
      ready: $('wrap-up-ready').checked,
    });
    say(t('wrap.saved', { code: human('code', saved.wrap_up_code) }), 'info');
    const customer = desk.pop.customer;
    // An unknown caller's history came with the pop (their number's contacts): keep its rows.
    // Issue 9: saving showed the saved row alone.
    if (customer) showHistory(await api('GET', `/api/customers/${customer.id}/contacts?limit=20`));
    else showHistory(withContact(desk.history, saved));
  } catch (e) {
    say(e.status === 404 ? t('wrap.not_yet') : explain(e), 'error');
  } finally {
    $('wrap-up-save').disabled = false;
  }
  await refreshState();
}

// ---- start ----

$('acd-login').addEventListener('click', () => command('login'));
$('acd-logout').addEventListener('click', () => command('logout'));
$('ready').addEventListener('click', () => command('ready'));
$('pause').addEventListener('click', () => command('pause', { reason: $('pause-reason').value }));
$('unpause').addEventListener('click', () => command('unpause'));
$('wrap-up-form').addEventListener('submit', saveWrapUp);
startPage(page);
