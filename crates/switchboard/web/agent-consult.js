// Consult, transfer and conference from the agent desk (issue 12; docs/acd.md, "Consult,
// transfer, conference"): the "Consult" form posts /api/agents/{id}/consult with a target (an
// extension, an agent id, or a queue, which transfers the call at once) and a reason; while
// the consultation runs, Complete, Cancel and Conference steer it. The panel polls
// GET .../consult while something is under way and says in the page's language where it
// stands and how it ended (busy, no answer...), refusals named by the API's `reason`.
'use strict';

import { $, api, explain, ApiError } from '/app.js';
import { t, has } from '/i18n.js';

const POLL_MS = 1000;

const consult = {
  agentPath: null,
  /** The last answer of the API: { state, target, reason, last }. */
  status: null,
  /** A refusal to show instead of the state, kept to redraw it after a language change. */
  error: null,
  timer: null,
};

function show() {
  const s = consult.status || {};
  const state = s.state || null;
  $('consult-panel').dataset.state = state || 'none';
  $('consult-start').hidden = Boolean(state);
  for (const id of ['consult-complete', 'consult-cancel', 'consult-conference']) {
    $(id).hidden = !state || state === 'transferred';
  }
  // Complete and conference need the third party on the line.
  $('consult-complete').disabled = state === 'ringing';
  $('consult-conference').disabled = state !== 'talking';
  const line = $('consult-status');
  let text = '';
  if (consult.error) text = consult.error();
  else if (state) text = t(`consult.state.${state}`, { target: s.target || '' });
  else if (s.last && has(`consult.last.${s.last}`)) text = t(`consult.last.${s.last}`);
  line.className = consult.error ? 'message error' : 'message info';
  line.dataset.state = state || s.last || '';
  line.textContent = text;
  line.hidden = !text;
}

function poll() {
  if (consult.timer) clearTimeout(consult.timer);
  consult.timer = setTimeout(refresh, POLL_MS);
}

async function refresh() {
  consult.timer = null;
  try {
    const before = consult.status && consult.status.state;
    consult.status = await api('GET', consult.agentPath('consult'));
    if (before && !consult.status.state) consult.error = null;
  } catch (e) {
    consult.error = () => explain(e);
  }
  show();
  if (consult.status && consult.status.state) poll();
}

function refusal(e) {
  const reason = e instanceof ApiError && e.data && typeof e.data.reason === 'string' ? e.data.reason : null;
  const key = `consult.error.${reason}`;
  return reason && has(key) ? () => t(key) : () => explain(e);
}

async function act(action, body) {
  consult.error = null;
  const buttons = document.querySelectorAll('#consult-panel button');
  for (const b of buttons) b.disabled = true;
  try {
    const path = action ? consult.agentPath(`consult/${action}`) : consult.agentPath('consult');
    consult.status = await api('POST', path, body);
  } catch (e) {
    consult.error = refusal(e);
  } finally {
    for (const b of buttons) b.disabled = false;
  }
  show();
  poll();
}

async function start(event) {
  event.preventDefault();
  const target = $('consult-target').value.trim();
  if (!target) {
    consult.error = () => t('consult.error.empty_target');
    show();
    $('consult-target').focus();
    return;
  }
  await act(null, { target, reason: $('consult-reason').value.trim() });
}

/** Wires the panel for the agent's `agentPath(action)`. */
export function openConsult(agentPath) {
  consult.agentPath = agentPath;
  consult.status = null;
  consult.error = null;
  if (!consult.wired) {
    consult.wired = true;
    $('consult-form').addEventListener('submit', start);
    $('consult-complete').addEventListener('click', () => act('complete'));
    $('consult-cancel').addEventListener('click', () => act('cancel'));
    $('consult-conference').addEventListener('click', () => act('conference'));
  }
  show();
  refresh();
}

/** After a language change. */
export function relabelConsult() {
  show();
}
