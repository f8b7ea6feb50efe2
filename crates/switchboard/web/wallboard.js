// The supervisors' wallboard: a card per queue (callers waiting, longest wait, service level
// against its target, agents by state, today's offered / answered / abandoned, ASA) and the
// agents' states, from /api/queues and /api/agents, refreshed every two seconds and at once on
// each ACD event (server-sent events from /api/events). `?mode=wall` (or the button) shows
// large figures for a wall screen. Colour always comes with a word or a sign. An agent on a call
// has listen / whisper / barge buttons: the switch rings the supervisor's phone (their account's
// extension) and puts it on the call; while monitored, the buttons switch modes and Stop ends it
// (/api/agents/{id}/monitor, docs/acd.md "Monitoring").
'use strict';

import { $, api, explain, say, startPage, endSession, el, stateBadge } from '/app.js';
import { t, human, number, percent, duration, clock } from '/i18n.js';

const REFRESH_MS = 2000;
/**
 * A queue's service-level target as a share: its `service_level_target` percent (of calls
 * answered within its threshold; `[[queues]] service_level_target`, 80 by default).
 */
function slTarget(q) {
  const p = Number(q.service_level_target);
  return Number.isFinite(p) && p > 0 ? p / 100 : 0.8;
}

const board = { timer: null, events: null, pending: false, queues: [], agents: [], waiting: new Map(), at: null };

const page = {
  titleKey: 'board.title',
  loginKey: 'login.title_board',
  allows: (who) => who.role === 'admin' || who.role === 'supervisor',
  open: openBoard,
  close: closeBoard,
  relabel: draw,
};

function openBoard() {
  $('board-tools').hidden = false;
  refresh();
  board.timer = setInterval(refresh, REFRESH_MS);
  // Every queue or agent event refreshes at once; the timer covers a dropped stream.
  board.events = new EventSource('/api/events');
  board.events.addEventListener('queue', () => refresh());
  board.events.addEventListener('agent', () => refresh());
}

function closeBoard() {
  if (board.timer) clearInterval(board.timer);
  if (board.events) board.events.close();
  Object.assign(board, { timer: null, events: null, queues: [], agents: [], at: null });
  board.waiting.clear();
  $('board-tools').hidden = true;
}

async function refresh() {
  if (board.pending) return;
  board.pending = true;
  try {
    const [queues, agents] = await Promise.all([api('GET', '/api/queues'), api('GET', '/api/agents')]);
    announceNewCallers(queues);
    Object.assign(board, { queues, agents, at: new Date() });
    draw();
    say('');
  } catch (e) {
    if (e.status === 401) endSession(page, t('error.session_ended'));
    else say(explain(e), 'error');
  } finally {
    board.pending = false;
  }
}

/** A screen reader hears each new caller waiting (politely: the board changes often). */
function announceNewCallers(queues) {
  const news = [];
  for (const q of queues) {
    const before = board.waiting.get(q.name) ?? 0;
    if (q.waiting > before) news.push(t('board.new_caller', { queue: q.name, waiting: number(q.waiting) }));
    board.waiting.set(q.name, q.waiting);
  }
  if (news.length) $('waiting-announcer').textContent = news.join(' ');
}

function draw() {
  if (!board.at) return;
  $('updated').textContent = clock(board.at);
  $('queues-empty').hidden = board.queues.length > 0;
  $('queues').replaceChildren(...board.queues.map(queueCard));
  $('sl-note').textContent = t('board.sl_note');
  $('agents').querySelector('tbody').replaceChildren(...board.agents.map(agentRow));
}

/** One big figure: value, label and (optionally) a meaning shown as colour, sign and word. */
function figure(field, raw, shown, labelKey, tone, note) {
  const box = el('div', { className: `figure${tone ? ` tone-${tone}` : ''}`, 'data-field': field });
  box.dataset.value = raw === null || raw === undefined ? '' : String(raw);
  box.append(el('span', { className: 'figure-value', text: shown }), el('span', { className: 'figure-label', text: t(labelKey) }));
  if (note) box.append(el('span', { className: 'figure-note', text: note }));
  return box;
}

function queueCard(q) {
  const id = `queue-${q.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const card = el('article', { className: 'card queue-card', 'data-queue': q.name });
  card.setAttribute('aria-labelledby', id);
  const title = el('h3', { id, text: q.name });
  if (q.number) title.append(' ', el('span', { className: 'muted', text: t('board.dial', { number: q.number }) }));
  // A caller waiting past the service-level threshold is about to count as a miss.
  const late = q.waiting > 0 && q.longest_wait_s > q.service_level_threshold_s;
  const waitingNote = q.waiting === 0 ? null : late ? `⚠ ${t('board.over_threshold', { s: number(q.service_level_threshold_s) })}` : null;
  let slTone = null;
  let slNote = t('board.sl_none');
  if (q.service_level !== null && q.service_level !== undefined) {
    const target = slTarget(q);
    const met = q.service_level >= target;
    slTone = met ? 'good' : 'bad';
    slNote = `${met ? '✓' : '✗'} ${t(met ? 'board.sl_met' : 'board.sl_missed', { target: percent(target) })}`;
  }
  const main = el('div', { className: 'figures main-figures' },
    figure('waiting', q.waiting, number(q.waiting), 'board.waiting', late ? 'bad' : q.waiting > 0 ? 'warn' : null, waitingNote),
    figure('longest_wait', q.waiting ? q.longest_wait_s : null, q.waiting ? duration(q.longest_wait_s) : '—', 'board.longest_wait', late ? 'bad' : null),
    figure('service_level', q.service_level, percent(q.service_level), 'board.service_level', slTone, slNote),
    figure('asa', q.asa_s, duration(q.asa_s), 'board.asa'));
  const agents = el('div', { className: 'figures small-figures' },
    figure('available', q.agents_available, number(q.agents_available), 'board.available', q.agents_available > 0 ? null : q.waiting > 0 ? 'bad' : null),
    figure('ringing', q.agents_ringing, number(q.agents_ringing), 'board.ringing'),
    figure('on_call', q.agents_on_call, number(q.agents_on_call), 'board.on_call'),
    figure('wrap_up', q.agents_wrap_up, number(q.agents_wrap_up), 'board.wrap_up'),
    figure('paused', q.agents_paused, number(q.agents_paused), 'board.paused'));
  const today = el('div', { className: 'figures small-figures' },
    figure('offered', q.offered, number(q.offered), 'board.offered'),
    figure('answered', q.answered, number(q.answered), 'board.answered'),
    figure('abandoned', q.abandoned, number(q.abandoned), 'board.abandoned'));
  card.append(title, main,
    el('h4', { className: 'figures-title', text: t('board.agents_now') }), agents,
    el('h4', { className: 'figures-title', text: t('board.today') }), today);
  return card;
}

function agentRow(a) {
  const tr = el('tr', { 'data-key': a.id });
  const name = el('td', {}, el('strong', { text: a.name || a.id }));
  if (a.name) name.append(' ', el('span', { className: 'muted', text: a.id }));
  // The badge of the header (app.js), so a state reads the same on every page.
  const badge = el('span', { className: 'state' });
  stateBadge(badge, a);
  const state = el('td', { 'data-state': a.state }, badge);
  tr.append(
    name,
    state,
    el('td', { text: duration(a.in_state_s) }),
    el('td', { text: a.extension || '—' }),
    el('td', { text: number(a.answered) }),
    el('td', { text: (a.queues || []).join(', ') }),
    monitorCell(a),
  );
  return tr;
}

const MONITOR_MODES = ['listen', 'whisper', 'barge'];

/** The monitor buttons of an agent on a call; the pressed one is the current mode. */
function monitorCell(a) {
  const td = el('td', { className: 'monitor' });
  if (!a.on_monitorable_call && !a.monitor) {
    td.textContent = '—';
    return td;
  }
  const group = el('div', { className: 'monitor-buttons' });
  group.setAttribute('role', 'group');
  group.setAttribute('aria-label', t('monitor.group', { agent: a.name || a.id }));
  for (const mode of MONITOR_MODES) {
    const b = el('button', { type: 'button', className: 'quiet small', text: t(`monitor.${mode}`), 'data-monitor': mode });
    b.setAttribute('aria-pressed', String(Boolean(a.monitor && a.monitor.mode === mode)));
    b.addEventListener('click', () => monitor(a, mode));
    group.append(b);
  }
  if (a.monitor) {
    const stop = el('button', { type: 'button', className: 'quiet small', text: t('monitor.stop'), 'data-monitor': 'stop' });
    stop.addEventListener('click', () => monitor(a, 'stop'));
    group.append(stop);
    td.append(group, el('span', { className: 'muted small', text: t('monitor.by', { account: a.monitor.account }) }));
  } else {
    td.append(group);
  }
  return td;
}

async function monitor(a, mode) {
  const path = `/api/agents/${encodeURIComponent(a.id)}/monitor`;
  try {
    if (mode === 'stop') await api('DELETE', path);
    else if (a.monitor) await api('PATCH', path, { mode });
    else {
      await api('POST', path, { mode });
      say(t('monitor.ringing', { agent: a.name || a.id }), 'info');
      return;
    }
    say('');
    refresh();
  } catch (e) {
    say(explain(e), 'error');
  }
}

function setWallMode(on) {
  document.documentElement.classList.toggle('wall', on);
  $('wall-mode').setAttribute('aria-pressed', String(on));
  const url = new URL(location.href);
  if (on) url.searchParams.set('mode', 'wall');
  else url.searchParams.delete('mode');
  history.replaceState(null, '', url);
}

$('wall-mode').addEventListener('click', () => setWallMode(!document.documentElement.classList.contains('wall')));
setWallMode(new URLSearchParams(location.search).get('mode') === 'wall');
startPage(page);
