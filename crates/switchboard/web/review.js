// The QA review page (`/review?cdr=<call id>`, for QA reviewers, supervisors and admins): the
// call's recording in the player (player.js), its context beside it (review-context.js),
// time-stamped comments that seek the player when clicked, improvement points, and the
// evaluation form (qa-form.js) scored as the reviewer answers. Without `?cdr=` it lists recent
// answered calls to pick from.
//
// Until the QA API lands, the form is the default shipped with the page
// (/qa-default-form.json) and the draft lives in this browser's localStorage under
// `switchboard.review.draft.<call id>`: see `saveDraft` / `loadDraft`, the one place to switch
// to `GET`/`PUT /api/qa/tasks/{id}/draft`.
'use strict';

import { $, api, el, explain, say, startPage } from '/app.js';
import { t, clock as wallClock } from '/i18n.js';
import { Player, clock, parseClock } from '/player.js';
import { renderForm, score, explainScore } from '/qa-form.js';
import { loadContext, showCalls, showContext } from '/review-context.js';

const REVIEWERS = ['qa', 'supervisor', 'admin'];
const DRAFT_PREFIX = 'switchboard.review.draft.';

const review = {
  cdrId: null,
  rec: null,
  player: null,
  context: null,
  form: null,
  formView: null,
  /**
   * The draft: answers (question id → answer), comments [{at_ms, text}], points [text], and
   * the improvement point being typed (`typing`), kept as it is typed.
   */
  draft: { answers: {}, comments: [], points: [], typing: '' },
};

// ---- the draft (QA API: replace these two with GET / PUT /api/qa/tasks/{id}/draft) ----

function loadDraft(cdrId) {
  try {
    const stored = JSON.parse(localStorage.getItem(DRAFT_PREFIX + cdrId) || 'null');
    if (stored && typeof stored === 'object') {
      return {
        answers: stored.answers && typeof stored.answers === 'object' ? stored.answers : {},
        comments: Array.isArray(stored.comments) ? stored.comments : [],
        points: Array.isArray(stored.points) ? stored.points : [],
        typing: typeof stored.typing === 'string' ? stored.typing : '',
      };
    }
  } catch (_) {
    // Unreadable or refused storage: start empty.
  }
  return { answers: {}, comments: [], points: [], typing: '' };
}

function saveDraft() {
  const d = review.draft;
  const body = { form: { id: review.form.id, version: review.form.version }, ...d, saved_at: new Date().toISOString() };
  try {
    localStorage.setItem(DRAFT_PREFIX + review.cdrId, JSON.stringify(body));
    $('draft-status').textContent = t('review.draft_saved', { time: wallClock(new Date()) });
  } catch (_) {
    $('draft-status').textContent = t('review.draft_not_saved');
  }
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

function saveComment(event) {
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
  review.draft.comments.push({ at_ms: atMs, text: $('comment-text').value.trim() });
  review.draft.comments.sort((a, b) => a.at_ms - b.at_ms);
  saveDraft();
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
  review.draft.typing = '';
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
    return el('li', {}, el('span', { text: p }), remove);
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

async function open() {
  const params = new URLSearchParams(location.search);
  review.cdrId = params.get('cdr');
  if (!review.cdrId) {
    $('pick').hidden = false;
    await showCalls().catch((e) => say(explain(e), 'error'));
    return;
  }
  try {
    const [cdr, recordings, form] = await Promise.all([
      api('GET', `/api/cdrs/${encodeURIComponent(review.cdrId)}`),
      api('GET', `/api/cdrs/${encodeURIComponent(review.cdrId)}/recordings`),
      api('GET', '/qa-default-form.json'),
    ]);
    review.form = form;
    review.draft = loadDraft(review.cdrId);
    const d = review.draft;
    $('point-text').value = d.typing;
    if (Object.keys(d.answers).length || d.comments.length || d.points.length || d.typing) {
      $('draft-status').textContent = t('review.draft_restored');
    }
    $('review').hidden = false;
    review.context = await loadContext(cdr);
    showContext(review.context);
    review.rec = (recordings || []).find((r) => r.status !== 'recording' && r.status !== 'deleted') || null;
    if (!review.rec) {
      $('no-recording').hidden = false;
      $('comments-card').hidden = true;
    } else {
      review.player = new Player($('player'), review.rec);
    }
    review.formView = renderForm($('qa-form'), review.form, review.draft.answers, (answers) => {
      review.draft.answers = answers;
      saveDraft();
      showScore();
    });
    showScore();
    showComments();
    showPoints();
    $('review-heading').textContent = t('review.title_call', { caller: cdr.caller });
  } catch (e) {
    say(explain(e), 'error');
  }
}

function relabel() {
  if (review.context) showContext(review.context);
  if (review.player) review.player.relabel();
  if (review.formView) review.formView.relabel();
  if (review.form) {
    showScore();
    showComments();
    showPoints();
  }
  if (review.context) $('review-heading').textContent = t('review.title_call', { caller: review.context.cdr.caller });
}

function close() {
  if (review.player) review.player.close();
  Object.assign(review, { player: null, context: null, form: null, formView: null });
  $('review').hidden = true;
  $('pick').hidden = true;
}

$('comment-new').addEventListener('click', openComment);
$('comment-cancel').addEventListener('click', closeComment);
$('comment-form').addEventListener('submit', saveComment);
$('comment-form').addEventListener('keydown', (event) => {
  if (event.key === 'Escape') closeComment();
});
$('point-form').addEventListener('submit', addPoint);
$('player').addEventListener('player-error', (event) => say(t('player.cannot_play', { detail: event.detail.message }), 'error'));
$('point-text').addEventListener('input', () => {
  if (!review.form) return;
  review.draft.typing = $('point-text').value;
  saveDraft();
});

/** For tests and the console: the page's player and scorer. */
window.switchboardReview = { review, score };

startPage({
  titleKey: 'review.title',
  loginKey: 'review.login_title',
  allows: (who) => REVIEWERS.includes(who.role),
  open,
  close,
  relabel,
});
