// The review page on a QA task (`/review?task=<id>`) over the QA API: the task's detail
// (`GET /api/qa/tasks/{id}`: its form version, review or draft, comments, dispute, points and
// the call's context), the draft saved on the server as it is typed (`PUT .../draft`,
// debounced, flushed before leaving), comments posted one by one, and the steps the task's
// status allows the signed-in account: the reviewer submits; the agent acknowledges or
// disputes; a supervisor or admin settles a dispute; a follow-up's reviewer marks each point
// improved or not.
'use strict';

import { $, api, el, explain } from '/app.js';
import { t, clock as wallClock, dateTime } from '/i18n.js';

/** How long typing pauses before the draft goes to the server. */
const DRAFT_DELAY_MS = 600;

const path = (id, tail = '') => `/api/qa/tasks/${encodeURIComponent(id)}${tail}`;

export const loadTask = (id) => api('GET', path(id));

/** The context panel's input (review-context.js `showContext`) from a task's `call`. */
export function taskContext(detail) {
  const call = detail.call;
  const cdr = { ...(call.cdr || { call_id: detail.task.call_id, caller: '—', started_at: null }) };
  if (!cdr.queue) cdr.queue = call.queue;
  const own = { call_id: cdr.call_id, wrap_up_code: call.wrap_up_code, notes: call.wrap_up_notes };
  return { cdr, customer: call.customer, contacts: [own, ...call.history] };
}

/** Whether `who` may still change the task's review (its reviewer, before submission). */
export const editable = (detail, who) => ['assigned', 'draft'].includes(detail.task.status)
  && detail.task.reviewer === who.username;

/** Saves the draft on the server a moment after the last change; one request at a time. */
export class DraftSaver {
  constructor(taskId) {
    this.taskId = taskId;
    this.pending = null;
    this.timer = null;
    this.running = Promise.resolve();
  }

  /** Saves `draft` ({answers, points, summary}) after a pause in typing. */
  schedule(draft) {
    this.pending = draft;
    $('draft-status').textContent = t('qa.draft_unsaved');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), DRAFT_DELAY_MS);
  }

  /** Sends what is pending now; resolves once it is stored (or refused, said on the page). */
  flush() {
    clearTimeout(this.timer);
    const draft = this.pending;
    this.pending = null;
    if (!draft) return this.running;
    this.running = this.running.then(async () => {
      try {
        await api('PUT', path(this.taskId, '/draft'), draft);
        if (!this.pending) $('draft-status').textContent = t('qa.draft_saved', { time: wallClock(new Date()) });
      } catch (e) {
        $('draft-status').textContent = t('qa.draft_not_saved', { detail: explain(e) });
      }
    });
    return this.running;
  }
}

export const postComment = (taskId, atMs, text) => api('POST', path(taskId, '/comments'), { at_ms: atMs, text });

/**
 * Draws the task's status and the steps open to `who` into #task-actions. `hooks`:
 *   draft()          the current {answers, points, summary};
 *   flush()          saves the pending draft;
 *   answers()        the form's answers (a settlement that changes the score);
 *   settleChanged(b) the form opens (true) or closes for a changed settlement;
 *   done(message)    a step succeeded: reload the task and say `message`;
 *   fail(e, field)   a step was refused: say why (beside `field` when given).
 */
export function drawActions(detail, who, hooks) {
  const { task, review, dispute } = detail;
  const parts = [el('p', { id: 'task-state', tabIndex: -1 },
    el('span', { text: `${t('qa.status_label')} ` }),
    el('strong', { className: `task-status ${task.status}`, text: t(`qa.status.${task.status}`) }),
    ...(task.score === null || task.score === undefined ? [] : [' · ', el('span', { text: t('qa.score_is', { score: task.score.toFixed(2) }) })]))];
  if (review && review.submitted_at) {
    parts.push(el('p', { className: 'muted small', text: t('qa.submitted_at', { at: dateTime(review.submitted_at), reviewer: task.reviewer || '—' }) }));
  }
  if (review && review.summary && !editable(detail, who)) {
    parts.push(el('p', { id: 'task-summary-text', text: review.summary }));
  }
  if (dispute) parts.push(disputeView(dispute));
  if (editable(detail, who)) parts.push(submitView(detail, hooks));
  if (who.role === 'agent' && task.status === 'submitted') parts.push(...agentView(detail, hooks));
  if (['supervisor', 'admin'].includes(who.role) && task.status === 'disputed') parts.push(settleView(detail, hooks));
  if (detail.rechecks.length) parts.push(recheckView(detail, who, hooks));
  $('task-actions').replaceChildren(...parts);
}

function disputeView(dispute) {
  const box = el('div', { id: 'dispute', className: 'dispute' },
    el('h3', { text: t('qa.dispute_title') }),
    el('p', { text: t('qa.dispute_by', { who: dispute.disputed_by, at: dateTime(dispute.disputed_at) }) }),
    el('blockquote', { id: 'dispute-comment', text: dispute.comment }));
  const s = dispute.settlement;
  if (s) {
    box.append(el('p', { id: 'settlement', text: t(`qa.settled_${s.outcome}`, { who: s.settled_by, score: s.score_after.toFixed(2) }) }),
      el('blockquote', { text: s.reason }));
  }
  return box;
}

function submitView(detail, hooks) {
  const button = el('button', { id: 'task-submit', type: 'button', className: 'primary', text: t('qa.submit') });
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await hooks.flush();
      const result = await api('POST', path(detail.task.id, '/submit'), hooks.draft());
      await hooks.done(t('qa.submitted', { score: result.score.total.toFixed(2), count: result.follow_ups.length }));
    } catch (e) {
      button.disabled = false;
      hooks.fail(e);
    }
  });
  return el('div', { className: 'buttons' }, button);
}

/** A labelled text area with its error line and a button under it. */
function textStep(id, labelKey, buttonKey, onSend) {
  const area = el('textarea', { id: `${id}-text`, rows: 2, maxLength: 2000 });
  area.setAttribute('aria-describedby', `${id}-error`);
  const error = el('p', { id: `${id}-error`, className: 'field-error', hidden: true });
  const button = el('button', { type: 'submit', text: t(buttonKey) });
  const form = el('form', { id, noValidate: true },
    el('label', { htmlFor: `${id}-text`, text: t(labelKey) }), area, error,
    el('div', { className: 'buttons' }, button));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    area.removeAttribute('aria-invalid');
    error.hidden = true;
    if (!area.value.trim()) {
      error.textContent = t('qa.write_reason');
      error.hidden = false;
      area.setAttribute('aria-invalid', 'true');
      area.focus();
      return;
    }
    button.disabled = true;
    try {
      await onSend(area.value.trim());
    } catch (e) {
      button.disabled = false;
      error.textContent = explain(e);
      error.hidden = false;
      area.focus();
    }
  });
  return form;
}

function agentView(detail, hooks) {
  const ack = el('button', { id: 'task-acknowledge', type: 'button', className: 'primary', text: t('qa.acknowledge') });
  ack.addEventListener('click', async () => {
    ack.disabled = true;
    try {
      await api('POST', path(detail.task.id, '/acknowledge'));
      await hooks.done(t('qa.acknowledged'));
    } catch (e) {
      ack.disabled = false;
      hooks.fail(e);
    }
  });
  const dispute = textStep('dispute-form', 'qa.dispute_comment', 'qa.dispute', async (comment) => {
    await api('POST', path(detail.task.id, '/dispute'), { comment });
    await hooks.done(t('qa.disputed'));
  });
  return [el('div', { className: 'buttons' }, ack), dispute];
}

function settleView(detail, hooks) {
  const choice = (value) => {
    const input = el('input', { type: 'radio', name: 'settle-outcome', id: `settle-${value}`, value, checked: value === 'kept' });
    input.addEventListener('change', () => hooks.settleChanged(value === 'changed'));
    return el('span', { className: 'qa-choice' }, input, el('label', { htmlFor: `settle-${value}`, text: t(`qa.settle_${value}`) }));
  };
  const form = textStep('settle-form', 'qa.settle_reason', 'qa.settle', async (reason) => {
    const outcome = $('settle-changed').checked ? 'changed' : 'kept';
    const body = outcome === 'changed' ? { outcome, reason, answers: hooks.answers() } : { outcome, reason };
    await api('POST', path(detail.task.id, '/settle'), body);
    await hooks.done(t('qa.settled'));
  });
  form.prepend(el('fieldset', { className: 'qa-question' },
    el('legend', { text: t('qa.settle_title') }), el('div', { className: 'qa-choices' }, choice('kept'), choice('changed'))));
  return form;
}

/** A follow-up task: each re-checked point, and for its reviewer improved / not improved. */
function recheckView(detail, who, hooks) {
  const mine = detail.task.reviewer === who.username || ['supervisor', 'admin'].includes(who.role);
  const rows = detail.rechecks.map((f) => {
    const state = f.state === 'improved' ? t('qa.point_improved') : t('qa.point_open', { due: f.due_on });
    const item = el('li', {}, el('span', { text: f.text }), ' ', el('span', { className: 'qa-note', text: `(${state})` }));
    if (mine && f.state === 'open') {
      for (const verdict of ['improved', 'not_improved']) {
        const b = el('button', { type: 'button', text: t(`qa.verdict_${verdict}`) });
        b.setAttribute('aria-label', t(`qa.verdict_${verdict}_of`, { point: f.text }));
        b.dataset.verdict = verdict;
        b.addEventListener('click', async () => {
          b.disabled = true;
          try {
            await api('POST', `/api/qa/follow-ups/${encodeURIComponent(f.point)}/check`, { verdict, calls: [detail.task.call_id] });
            await hooks.done(t(`qa.checked_${verdict}`));
          } catch (e) {
            b.disabled = false;
            hooks.fail(e);
          }
        });
        item.append(' ', b);
      }
    }
    return item;
  });
  return el('div', { id: 'rechecks' }, el('h3', { text: t('qa.rechecks_title') }), el('ul', { className: 'points' }, ...rows));
}
