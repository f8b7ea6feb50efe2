// The supervisor's wallboard: queues (callers waiting, longest wait, agents by state, today's
// offered / answered / abandoned, service level, ASA) and agents (state and time in it), from
// /api/queues and /api/agents, refreshed every two seconds and at once on each ACD event
// (server-sent events from /api/events). Plain JS, no build step; data goes in through
// textContent only.
'use strict';

const REFRESH_MS = 2000;

const board = { timer: null, events: null, pending: false };

const $ = (id) => document.getElementById(id);

function setMessage(text, kind) {
  const m = $('message');
  m.textContent = text || '';
  m.className = kind || '';
}

/** One JSON request; throws an Error with the server's `error` text (or the status). */
async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && board.csrf) headers['X-CSRF-Token'] = board.csrf;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (_) {
    data = null;
  }
  if (!response.ok) {
    const reason = data && data.error ? data.error : `HTTP ${response.status}`;
    const error = new Error(reason);
    error.status = response.status;
    throw error;
  }
  return data;
}

const seconds = (s) => {
  if (s === null || s === undefined) return '—';
  const t = Math.round(s);
  return t < 60 ? `${t} s` : `${Math.floor(t / 60)} min ${t % 60} s`;
};
const percent = (x) => (x === null || x === undefined ? '—' : `${Math.round(x * 100)} %`);

/** Replace a table body's rows with `rows` (arrays of cell texts); `key` names each row. */
function fill(tableId, rows) {
  const body = $(tableId).querySelector('tbody');
  body.replaceChildren(
    ...rows.map(({ key, cells }) => {
      const tr = document.createElement('tr');
      tr.dataset.key = key;
      for (const c of cells) {
        const td = document.createElement('td');
        td.textContent = String(c);
        tr.appendChild(td);
      }
      return tr;
    }),
  );
}

async function refresh() {
  if (board.pending) return;
  board.pending = true;
  try {
    const [queues, agents] = await Promise.all([api('GET', '/api/queues'), api('GET', '/api/agents')]);
    fill(
      'queues',
      queues.map((q) => ({
        key: q.name,
        cells: [
          q.number ? `${q.name} (${q.number})` : q.name,
          q.waiting,
          seconds(q.waiting ? q.longest_wait_s : null),
          q.agents_available,
          q.agents_ringing,
          q.agents_on_call,
          q.agents_wrap_up,
          q.agents_paused,
          q.offered,
          q.answered,
          q.abandoned,
          percent(q.service_level),
          seconds(q.asa_s),
        ],
      })),
    );
    fill(
      'agents',
      agents.map((a) => ({
        key: a.id,
        cells: [
          a.id,
          a.name || '',
          a.reason ? `${a.state} (${a.reason})` : a.state,
          seconds(a.in_state_s),
          a.extension || '',
          a.answered,
        ],
      })),
    );
    $('updated').textContent = new Date().toLocaleTimeString();
    setMessage('');
  } catch (e) {
    if (e.status === 401) {
      closeBoard();
      setMessage('session ended: log in again', 'error');
    } else {
      setMessage(e.message, 'error');
    }
  } finally {
    board.pending = false;
  }
}

function openBoard(who) {
  if (!who || (who.role !== 'admin' && who.role !== 'supervisor')) {
    setMessage(`account ${who ? who.username : '?'} cannot see the wallboard (supervisors and admins)`, 'error');
    return;
  }
  board.csrf = who.csrf_token;
  $('username').textContent = who.username;
  $('login-panel').hidden = true;
  $('who').hidden = false;
  $('board').hidden = false;
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
  Object.assign(board, { timer: null, events: null, csrf: null });
  $('board').hidden = true;
  $('who').hidden = true;
  $('login-panel').hidden = false;
}

async function logIn(event) {
  event.preventDefault();
  setMessage('');
  $('login-button').disabled = true;
  try {
    const who = await api('POST', '/api/login', {
      username: $('login-username').value,
      password: $('login-password').value,
    });
    $('login-password').value = '';
    openBoard(who);
  } catch (e) {
    setMessage(e.message, 'error');
  } finally {
    $('login-button').disabled = false;
  }
}

async function logOut() {
  try {
    await api('POST', '/api/logout');
  } catch (e) {
    setMessage(e.message, 'error');
  }
  closeBoard();
}

document.addEventListener('DOMContentLoaded', async () => {
  $('login-form').addEventListener('submit', logIn);
  $('logout').addEventListener('click', logOut);
  // A live session (a reload) goes straight to the board.
  try {
    openBoard(await api('GET', '/api/session'));
  } catch (_) {
    // Not logged in: the form is shown.
  }
});
