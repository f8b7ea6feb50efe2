// Click-to-dial on the agent desk (issue 16): the "Call a customer" field and the "Call"
// buttons beside the customer's numbers (pop and history) post /api/agents/{id}/dial; the
// switch rings the agent's phone, then the number. Progress and refusals show in the panel's
// status line as sentences in the page's language (refusals named by the API's `reason`).
// The call's screen pop then drives the desk as a queue call's does: agent.js asks
// `isMyDial(call_id)` whether a pop is a call placed from this page.
'use strict';

import { $, api, explain, el, ApiError } from '/app.js';
import { t, has } from '/i18n.js';

const dial = {
  agentPath: null,
  /** The request in flight (a pop may come before its answer). */
  pending: null,
  /** CDR ids of the calls placed from this page. */
  calls: new Set(),
  /** What the status line says, kept to redraw it after a language change. */
  status: null,
};

/** Call ids the page placed: a pop for one of them is this agent's call. */
export async function isMyDial(callId) {
  if (dial.pending) await dial.pending.catch(() => null);
  return dial.calls.has(callId);
}

function showStatus(status) {
  dial.status = status;
  const line = $('dial-status');
  line.dataset.status = status ? status.kind : '';
  line.dataset.reason = status && status.reason ? status.reason : '';
  line.className = status && status.kind === 'error' ? 'message error' : 'message info';
  line.textContent = status ? status.say() : '';
  line.hidden = !status;
}

/** A refusal as a sentence: by its `reason` code when the messages name it, else the
 * general sentence for its status. */
function refusal(e, number) {
  const reason = e instanceof ApiError && e.data && typeof e.data.reason === 'string' ? e.data.reason : null;
  const key = `dial.error.${reason}`;
  if (reason && has(key)) return { kind: 'error', reason, say: () => t(key, { number }) };
  return { kind: 'error', reason: reason || 'other', say: () => explain(e) };
}

/** Asks the switch to call `number` for the agent; the status line follows it. */
export async function callNumber(number) {
  const wanted = String(number || '').trim();
  if (!wanted) {
    showStatus({ kind: 'error', reason: 'empty', say: () => t('dial.empty') });
    $('dial-number').focus();
    return;
  }
  showStatus(null);
  for (const b of document.querySelectorAll('button[data-dial]')) b.disabled = true;
  const request = api('POST', dial.agentPath('dial'), { number: wanted });
  dial.pending = request;
  try {
    const answer = await request;
    dial.calls.add(answer.call_id);
    $('dial-status').dataset.callId = answer.call_id;
    showStatus({ kind: 'calling', say: () => t('dial.calling', { number: wanted }) });
  } catch (e) {
    showStatus(refusal(e, wanted));
  } finally {
    dial.pending = null;
    for (const b of document.querySelectorAll('button[data-dial]')) b.disabled = false;
  }
}

/** A "Call" button for `number` (its accessible name says which number). */
export function callButton(number) {
  const button = el('button', { type: 'button', className: 'call-button', text: t('dial.call') });
  button.dataset.dial = number;
  button.setAttribute('aria-label', t('dial.call_number', { number }));
  button.addEventListener('click', () => callNumber(number));
  return button;
}

/** After a language change: the status line. */
export function relabelDial() {
  showStatus(dial.status);
}

/** Wires the field for the agent's `agentPath(action)`; forgets the last page's calls. */
export function openDial(agentPath) {
  dial.agentPath = agentPath;
  dial.calls.clear();
  showStatus(null);
}

$('dial-form').addEventListener('submit', (event) => {
  event.preventDefault();
  callNumber($('dial-number').value);
});
