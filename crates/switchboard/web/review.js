// The QA review page (`/review`): without a parameter, the caller's QA tasks (review-tasks.js)
// and, for reviewers, recent answered calls to listen to; `/review?task=<id>` reviews a task
// over the QA API (review-task.js: the draft saved on the server as it is typed, comments,
// submit, and the agent's / supervisor's steps); `/review?cdr=<call id>` listens to any call
// ad hoc with the default form (/qa-default-form.json) and saves nothing. Either way the
// call's recording plays in the player (player.js), its context beside it
// (review-context.js), time-stamped comments seek the player when clicked, and the evaluation
// form (qa-form.js) is scored as the reviewer answers.
'use strict';

import { $, api, el, explain, say, session, startPage } from '/app.js';
import { t } from '/i18n.js';
import { Player, clock, parseClock } from '/player.js';
import { renderForm, score, explainScore } from '/qa-form.js';
import { loadContext, showCalls, showContext } from '/review-context.js';
import { DraftSaver, drawActions, editable, loadTask, postComment, taskContext } from '/review-task.js';
import { relabelTasks, showTasks, wireTaskFilters } from '/review-tasks.js';

const REVIEWERS = ['qa', 'supervisor', 'admin'];

const review = {
  /** 'task' (a QA task over the API) or 'cdr' (ad-hoc listening, nothing saved). */
  mode: null,
  cdrId: null,
  /** The task's detail from `GET /api/qa/tasks/{id}` (task mode). */
  task: null,
  /** Whether the signed-in account may change the review (the task's reviewer, before submission). */
  editable: false,
  saver: null,
  /** What the task's steps call back (review-task.js `drawActions`). */
  hooks: null,
  rec: null,
  player: null,
  context: null,
  form: null,
  formView: null,
  /**
   * The review: answers (question id → answer), comments [{at_ms, text}], points [text],
   * and the summary.
   */
  draft: { answers: {}, comments: [], points: [], summary: '' },
};

// ---- the draft: on the server for a task, nowhere for ad-hoc listening ----

function saveDraft() {
  if (review.mode !== 'task' || !review.editable) return;
  const { answers, points, summary } = review.draft;
  review.saver.schedule({ answers, points, summary });
}

// ---- comments ----

/** The recording's length in ms, as the server will check comments against it. */
function lengthMs() {
  if (review.rec.duration_ms) return review.rec.duration_ms;
  return Math.floor(review.player.duration() * 1000);
}

function openComment() {
  $('comment-form').hidden = false;
  $('comment-at').value = clock(review.player.currentTime());
  $('comment-error').hidden = true;
  $('comment-at').removeAttribute('aria-invalid');
  $('comment-text').focus();
}

function closeComment() {
  $('comment-form').hidden = true;
  $('comment-text').value = '';
  $('comment-new').focus();
}

function commentProblem(atText, text) {
  const at = parseClock(atText);
  if (at === null) return [t('review.comment_bad_time'), 'comment-at'];
  // `qa::TimedComment::new`: the end itself is allowed, past it is not.
  if (at * 1000 > lengthMs()) return [t('review.comment_past_end', { at: clock(at), end: clock(lengthMs() / 1000) }), 'comment-at'];
  if (!text.trim()) return [t('review.comment_empty'), 'comment-text'];
  return null;
}

async function saveComment(event) {
  event.preventDefault();
  const problem = commentProblem($('comment-at').value, $('comment-text').value);
  for (const id of ['comment-at', 'comment-text']) $(id).removeAttribute('aria-invalid');
  if (problem) {
    const [message, field] = problem;
    $('comment-error').textContent = message;
    $('comment-error').hidden = false;
    $(field).setAttribute('aria-invalid', 'true');
    $(field).focus();
    return;
  }
  const atMs = parseClock($('comment-at').value) * 1000;
  let comment = { at_ms: atMs, text: $('comment-text').value.trim() };
  if (review.mode === 'task') {
    try {
      comment = await postComment(review.task.task.id, comment.at_ms, comment.text);
    } catch (e) {
      // The server's refusal (past the recording's end, too long, not yours) beside the field.
      $('comment-error').textContent = explain(e);
      $('comment-error').hidden = false;
      const field = e.data && e.data.field === 'text' ? 'comment-text' : 'comment-at';
      $(field).setAttribute('aria-invalid', 'true');
      $(field).focus();
      return;
    }
  }
  review.draft.comments.push(comment);
  review.draft.comments.sort((a, b) => a.at_ms - b.at_ms);
  showComments();
  closeComment();
}

function showComments() {
  const list = review.draft.comments;
  $('comments-empty').hidden = list.length > 0;
  $('comments').replaceChildren(...list.map((c, i) => {
    const at = clock(c.at_ms / 1000);
    // The visible text stays whole in the accessible name: "Play from" is read before it.
    const seek = el('button', { type: 'button', className: 'comment-seek' },
      el('span', { className: 'visually-hidden', text: `${t('review.comment_play')} ` }),
      el('span', { className: 'comment-time', text: at }), ' ', el('span', { text: c.text }));
    seek.dataset.atMs = String(c.at_ms);
    seek.addEventListener('click', () => review.player.seekTo(c.at_ms / 1000));
    // Comments on a task are kept as posted (the API has no removal).
    if (review.mode === 'task') return el('li', {}, seek);
    const remove = el('button', { type: 'button', className: 'quiet danger', text: t('review.remove') });
    remove.setAttribute('aria-label', t('review.comment_remove', { at }));
    remove.addEventListener('click', () => {
      review.draft.comments.splice(i, 1);
      saveDraft();
      showComments();
      $('comment-new').focus();
    });
    return el('li', {}, seek, remove);
  }));
}

// ---- improvement points ----

function addPoint(event) {
  event.preventDefault();
  const text = $('point-text').value.trim();
  if (!text) {
    $('point-error').textContent = t('review.point_empty');
    $('point-error').hidden = false;
    $('point-text').setAttribute('aria-invalid', 'true');
    $('point-text').focus();
    return;
  }
  $('point-error').hidden = true;
  $('point-text').removeAttribute('aria-invalid');
  review.draft.points.push(text);
  $('point-text').value = '';
  saveDraft();
  showPoints();
}

function showPoints() {
  const list = review.draft.points;
  $('points-empty').hidden = list.length > 0;
  $('points').replaceChildren(...list.map((p, i) => {
    const remove = el('button', { type: 'button', className: 'quiet danger', text: t('review.remove') });
    remove.setAttribute('aria-label', t('review.point_remove', { n: i + 1 }));
    remove.addEventListener('click', () => {
      review.draft.points.splice(i, 1);
      saveDraft();
      showPoints();
      $('point-text').focus();
    });
    return review.mode === 'task' && !review.editable
      ? el('li', {}, el('span', { text: p }))
      : el('li', {}, el('span', { text: p }), remove);
  }));
}

// ---- evaluation ----

function showScore() {
  const box = $('score');
  try {
    const s = score(review.form, review.draft.answers);
    const total = el('p', { className: 'score-total' },
      el('span', { text: t('review.score_total') }), ' ', el('strong', { id: 'score-total', text: s.total.toFixed(2) }));
    total.dataset.total = String(s.total);
    const parts = s.sections.map((sec, i) => el('li', {
      text: t('review.score_section', {
        section: review.form.sections[i] ? sectionTitle(i) : sec.title,
        percent: sec.percent === null ? t('review.answer_na') : sec.percent.toFixed(2),
      }),
    }));
    const failed = s.critical_failed.length
      ? [el('p', { id: 'score-critical', className: 'message error', text: t('review.score_critical', { count: s.critical_failed.length }) })]
      : [];
    box.replaceChildren(total, ...failed, el('ul', { className: 'small' }, ...parts));
    box.dataset.state = 'scored';
  } catch (e) {
    box.replaceChildren(el('p', { className: 'muted', text: explainScore(review.form, e) }));
    box.dataset.state = 'incomplete';
  }
}

function sectionTitle(i) {
  const legend = $('qa-form').querySelectorAll('.qa-section > legend')[i];
  return legend ? legend.textContent : review.form.sections[i].title;
}

// ---- the page ----

/** Shows the call, its recording and the form with `review.draft` (both modes). */
function showReview(recording) {
  $('review').hidden = false;
  showContext(review.context);
  review.rec = recording;
  $('no-recording').hidden = Boolean(recording);
  $('comments-card').hidden = !recording;
  if (recording) review.player = new Player($('player'), recording);
  review.formView = renderForm($('qa-form'), review.form, review.draft.answers, (answers) => {
    review.draft.answers = answers;
    saveDraft();
    showScore();
  });
  showScore();
  showComments();
  showPoints();
  $('review-heading').textContent = t('review.title_call', { caller: review.context.cdr.caller });
}

/** Locks what the account may not change (a submitted review, an agent's view). */
function lock() {
  const locked = review.mode === 'task' && !review.editable;
  for (const input of $('qa-form').querySelectorAll('input')) input.disabled = locked;
  $('point-form').hidden = locked;
  $('comment-new').hidden = review.mode === 'task' && !review.editable;
  $('summary').readOnly = locked;
}

async function openTask(id, who) {
  const detail = await loadTask(id);
  review.mode = 'task';
  review.task = detail;
  review.editable = editable(detail, who);
  review.saver = new DraftSaver(detail.task.id);
  review.form = detail.form;
  const stored = detail.review || {};
  review.draft = {
    answers: stored.answers && typeof stored.answers === 'object' ? stored.answers : {},
    comments: detail.comments,
    points: Array.isArray(stored.points) ? stored.points : [],
    summary: typeof stored.summary === 'string' ? stored.summary : '',
  };
  $('summary').value = review.draft.summary;
  $('summary-card').hidden = false;
  $('task-card').hidden = false;
  if (review.editable && detail.review) $('draft-status').textContent = t('qa.draft_restored');
  review.context = taskContext(detail);
  const rec = detail.call.recording;
  showReview(rec ? { ...rec, status: 'complete' } : null);
  lock();
  review.hooks = {
    draft: () => ({ answers: review.draft.answers, points: review.draft.points, summary: review.draft.summary }),
    flush: () => review.saver.flush(),
    answers: () => review.draft.answers,
    settleChanged: (open) => {
      for (const input of $('qa-form').querySelectorAll('input')) input.disabled = !open;
    },
    done: async (message) => {
      close();
      await openTask(id, who);
      say(message, 'ok');
      $('task-state').focus();
    },
    fail: (e) => say(explain(e), 'error'),
  };
  drawActions(detail, who, review.hooks);
}

async function openCall(cdrId) {
  review.mode = 'cdr';
  review.cdrId = cdrId;
  const [cdr, recordings, form] = await Promise.all([
    api('GET', `/api/cdrs/${encodeURIComponent(cdrId)}`),
    api('GET', `/api/cdrs/${encodeURIComponent(cdrId)}/recordings`),
    api('GET', '/qa-default-form.json'),
  ]);
  review.form = form;
  review.draft = { answers: {}, comments: [], points: [], summary: '' };
  $('adhoc-note').hidden = false;
  review.context = await loadContext(cdr);
  showReview((recordings || []).find((r) => r.status !== 'recording' && r.status !== 'deleted') || null);
}

async function open(who) {
  const params = new URLSearchParams(location.search);
  try {
    if (params.get('task')) {
      await openTask(params.get('task'), who);
    } else if (params.get('cdr') && REVIEWERS.includes(who.role)) {
      await openCall(params.get('cdr'));
    } else {
      await showTasks();
      if (REVIEWERS.includes(who.role)) {
        $('pick').hidden = false;
        await showCalls();
      }
    }
  } catch (e) {
    say(explain(e), 'error');
  }
}

function relabel() {
  relabelTasks();
  if (review.task && session.who) drawActions(review.task, session.who, review.hooks);
  if (review.context) showContext(review.context);
  if (review.player) review.player.relabel();
  if (review.formView) review.formView.relabel();
  lock();
  if (review.form) {
    showScore();
    showComments();
    showPoints();
  }
  if (review.context) $('review-heading').textContent = t('review.title_call', { caller: review.context.cdr.caller });
}

function close() {
  if (review.player) review.player.close();
  if (review.saver) review.saver.flush();
  Object.assign(review, { mode: null, task: null, editable: false, saver: null, hooks: null, player: null, context: null, form: null, formView: null });
  for (const id of ['review', 'pick', 'tasks', 'task-card', 'summary-card', 'adhoc-note']) $(id).hidden = true;
  $('draft-status').textContent = '';
}

$('comment-new').addEventListener('click', openComment);
$('comment-cancel').addEventListener('click', closeComment);
$('comment-form').addEventListener('submit', saveComment);
$('comment-form').addEventListener('keydown', (event) => {
  if (event.key === 'Escape') closeComment();
});
$('point-form').addEventListener('submit', addPoint);
$('player').addEventListener('player-error', (event) => say(t('player.cannot_play', { detail: event.detail.message }), 'error'));
$('summary').addEventListener('input', () => {
  if (!review.form) return;
  review.draft.summary = $('summary').value;
  saveDraft();
});
// Whatever is still waiting for the pause in typing goes now.
addEventListener('pagehide', () => {
  if (review.saver) review.saver.flush();
});
wireTaskFilters((e) => say(explain(e), 'error'));

/** For tests and the console: the page's player and scorer. */
window.switchboardReview = { review, score };

startPage({
  titleKey: 'review.title',
  loginKey: 'review.login_title',
  // Agents see their own submitted reviews here.
  allows: (who) => REVIEWERS.includes(who.role) || who.role === 'agent',
  open,
  close,
  relabel,
});
