// The agent desk: log in, follow the agent's state, show screen pops (server-sent events from
// /api/agents/{id}/screen), wrap calls up and show the caller's contact history.
// Plain JS, no build step. Every piece of data goes into the page through textContent.
'use strict';

const POLL_MS = 1500;

const desk = {
  csrf: null,
  agent: null,
  events: null,
  poll: null,
  polling: false,
  // The call of the latest pop and what the page knows about it.
  callId: null,
  customerId: null,
  ended: false,
};

const $ = (id) => document.getElementById(id);

function setMessage(text, kind) {
  const m = $('message');
  m.textContent = text || '';
  m.className = kind || '';
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** One JSON request to the switch; throws ApiError with the server's `error` text. */
async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    if (desk.csrf) headers['X-CSRF-Token'] = desk.csrf;
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
    throw new ApiError(0, `cannot reach the switch (${e.message})`);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (_) {
    data = null;
  }
  if (!response.ok) {
    const why = data && typeof data.error === 'string' ? data.error : text.trim() || response.statusText;
    throw new ApiError(response.status, `${method} ${path}: ${response.status} ${why}`);
  }
  return data;
}

function agentPath(action) {
  return `/api/agents/${encodeURIComponent(desk.agent)}/${action}`;
}

// ---- login and logout ----

async function logIn(event) {
  event.preventDefault();
  setMessage('');
  $('login-button').disabled = true;
  try {
    const who = await api('POST', '/api/login', {
      username: $('username').value,
      password: $('password').value,
    });
    $('password').value = '';
    await openDesk(who);
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
  closeDesk();
}

function closeDesk() {
  if (desk.events) desk.events.close();
  if (desk.poll) clearInterval(desk.poll);
  Object.assign(desk, { csrf: null, agent: null, events: null, poll: null });
  $('desk').hidden = true;
  $('who').hidden = true;
  $('login-panel').hidden = false;
}

/** After a login (or a reload with a live session): the desk of the session's agent. */
async function openDesk(who) {
  if (!who || !who.agent) {
    setMessage(`account ${who ? who.username : '?'} is not an agent: this page is for agents`, 'error');
    return;
  }
  desk.csrf = who.csrf_token;
  desk.agent = who.agent;
  $('agent-id').textContent = who.agent;
  $('agent-name').textContent = who.username;
  $('login-panel').hidden = true;
  $('who').hidden = false;
  $('desk').hidden = false;
  await loadCodes();
  listenForPops();
  await refreshState();
  desk.poll = setInterval(refreshState, POLL_MS);
}

// Fill a <select> with the values a list endpoint returns.
async function loadChoices(path, selectId) {
  const values = await api('GET', path);
  const select = $(selectId);
  select.replaceChildren();
  for (const value of values) {
    const option = document.createElement('option');
    option.value = value;
    option.textContent = value;
    select.append(option);
  }
}

async function loadCodes() {
  try {
    await loadChoices('/api/wrap-up-codes', 'wrap-up-code');
    await loadChoices('/api/pause-reasons', 'pause-reason');
  } catch (e) {
    setMessage(e.message, 'error');
  }
}

// ---- agent state ----

async function refreshState() {
  // One poll at a time: a slow answer must not overlap the next tick.
  if (desk.polling) return;
  desk.polling = true;
  try {
    await pollState();
  } finally {
    desk.polling = false;
  }
}

async function pollState() {
  let agents;
  try {
    agents = await api('GET', '/api/agents');
  } catch (e) {
    if (e.status === 401) {
      closeDesk();
      setMessage('session ended: log in again', 'error');
    } else {
      setMessage(e.message, 'error');
    }
    return;
  }
  const me = agents.find((a) => a.id === desk.agent);
  if (!me) {
    setMessage(`agent ${desk.agent} is not configured on the switch`, 'error');
    return;
  }
  if (me.name) $('agent-name').textContent = me.name;
  $('agent-state').textContent = me.state.replace('_', ' ');
  $('agent-reason').textContent = me.reason ? ` (${me.reason})` : '';
  if (desk.callId && !desk.ended) {
    if (me.call_id === desk.callId) {
      $('call-status').textContent = me.state === 'on_call' ? 'On call.' : 'Ringing…';
    } else {
      await checkEnded();
    }
  }
}

async function command(action, body) {
  setMessage('');
  try {
    await api('POST', agentPath(action), body);
    setMessage(`${action}: done`, 'info');
  } catch (e) {
    setMessage(e.message, 'error');
  }
  await refreshState();
}

// ---- screen pops ----

function listenForPops() {
  if (desk.events) desk.events.close();
  const source = new EventSource(agentPath('screen'));
  source.addEventListener('pop', (event) => {
    let pop;
    try {
      pop = JSON.parse(event.data);
    } catch (e) {
      setMessage(`unreadable screen pop: ${e.message}`, 'error');
      return;
    }
    showPop(pop);
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      setMessage('screen pops stopped (session ended?): reload the page', 'error');
    }
  });
  desk.events = source;
}

function text(id, value) {
  $(id).textContent = value === null || value === undefined || value === '' ? '—' : String(value);
}

function showPop(pop) {
  desk.callId = pop.call_id;
  desk.ended = false;
  const c = pop.customer;
  desk.customerId = c ? c.id : null;
  $('call-status').className = '';
  $('call-status').textContent = `Call offered from ${pop.caller}.`;
  $('call-details').hidden = false;
  text('caller', pop.caller);
  $('caller-name').textContent = pop.caller_name ? `(${pop.caller_name})` : '';
  text('customer-name', c ? c.name : 'unknown caller');
  const grade = $('customer-grade');
  grade.textContent = c ? c.grade : '—';
  grade.className = c && c.grade === 'vip' ? 'grade vip' : 'grade';
  text('customer-segment', c && c.segment);
  text('customer-language', c && c.preferred_language);
  text('customer-notes', c && c.notes);
  text('queue', pop.queue);
  text('dialled', pop.dialled);
  text('waited', `${pop.waited_s} s`);
  const vars = $('ivr-vars');
  vars.replaceChildren();
  const entries = Object.entries(pop.vars || {});
  if (entries.length === 0) {
    const dd = document.createElement('dd');
    dd.textContent = 'none';
    vars.append(dd);
  }
  for (const [name, value] of entries) {
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.textContent = value;
    vars.append(dt, dd);
  }
  showHistory(pop.history || []);
  $('wrap-up-notes').value = '';
  $('wrap-up-fields').disabled = false;
}

/** The call of the pop is no longer the agent's: wait for its contact row, then say so. */
async function checkEnded() {
  if (desk.customerId === null) {
    desk.ended = true;
    markEnded('Call ended.');
    return;
  }
  try {
    const list = await api('GET', `/api/customers/${desk.customerId}/contacts?limit=20`);
    const row = list.find((c) => c.call_id === desk.callId);
    showHistory(list);
    if (row) {
      desk.ended = true;
      markEnded(row.agent === desk.agent ? 'Call ended.' : `Call ended (handled by ${row.agent || 'nobody'}).`);
    } else {
      $('call-status').textContent = 'Call over; waiting for its contact record…';
    }
  } catch (e) {
    setMessage(e.message, 'error');
  }
}

function markEnded(status) {
  $('call-status').textContent = status;
  $('call-status').className = 'ended';
}

// ---- history and wrap-up ----

function showHistory(list) {
  const rows = $('history-rows');
  rows.replaceChildren();
  for (const c of list) {
    const tr = document.createElement('tr');
    tr.dataset.callId = c.call_id || '';
    const at = new Date(c.at);
    const cells = [
      Number.isNaN(at.getTime()) ? c.at : at.toLocaleString(),
      typeof c.channel === 'string' ? c.channel.replaceAll('_', ' ') : c.channel,
      c.queue,
      c.agent,
      c.outcome,
      c.wrap_up_code,
      c.notes,
    ];
    for (const value of cells) {
      const td = document.createElement('td');
      td.textContent = value === null || value === undefined ? '' : String(value);
      tr.append(td);
    }
    rows.append(tr);
  }
}

async function saveWrapUp(event) {
  event.preventDefault();
  if (!desk.callId) {
    setMessage('no call to wrap up', 'error');
    return;
  }
  setMessage('');
  $('wrap-up-save').disabled = true;
  try {
    const saved = await api('POST', `/api/cdrs/${encodeURIComponent(desk.callId)}/wrap-up`, {
      agent: desk.agent,
      code: $('wrap-up-code').value,
      notes: $('wrap-up-notes').value,
      ready: $('wrap-up-ready').checked,
    });
    setMessage(`wrap-up saved: ${saved.wrap_up_code}`, 'info');
    if (desk.customerId !== null) {
      showHistory(await api('GET', `/api/customers/${desk.customerId}/contacts?limit=20`));
    } else {
      showHistory([saved]);
    }
  } catch (e) {
    setMessage(e.message, 'error');
  } finally {
    $('wrap-up-save').disabled = false;
  }
  await refreshState();
}

// ---- start ----

document.addEventListener('DOMContentLoaded', async () => {
  $('login-form').addEventListener('submit', logIn);
  $('logout').addEventListener('click', logOut);
  $('acd-login').addEventListener('click', () => command('login'));
  $('acd-logout').addEventListener('click', () => command('logout'));
  $('ready').addEventListener('click', () => command('ready'));
  $('pause').addEventListener('click', () => command('pause', { reason: $('pause-reason').value }));
  $('unpause').addEventListener('click', () => command('unpause'));
  $('wrap-up-form').addEventListener('submit', saveWrapUp);
  try {
    await openDesk(await api('GET', '/api/session'));
  } catch (e) {
    if (e.status !== 401) setMessage(e.message, 'error');
  }
});
