// Evaluation forms in the review page: a form definition shaped like `qa::Form` (sections,
// questions with weights; yes/no or a 1..max scale; N/A where allowed; critical questions that
// fail the whole evaluation) drawn as radio groups, and its score computed exactly as
// `qa::score` computes it (crates/qa/src/form.rs), so the page shows what the API will store.
// crates/qa/tests/fixtures/score_cases.json holds answers and their scores; the Rust test and
// the browser test both check their side against it.
'use strict';

import { t, has } from '/i18n.js';
import { el } from '/app.js';

/** Why answers cannot be scored; `kind` names the `qa::ScoreError` variant in snake case. */
export class ScoreError extends Error {
  constructor(kind, question, detail) {
    super(`${kind}${question ? ` ${question}` : ''}${detail ? `: ${detail}` : ''}`);
    this.kind = kind;
    this.question = question || null;
  }
}

const questionsOf = (form) => form.sections.flatMap((s) => s.questions);

/** `Form::validate`: throws ScoreError('form', …) as it would refuse the form. */
export function validate(form) {
  const ids = new Set();
  for (const q of questionsOf(form)) {
    if (!q.id) throw new ScoreError('form', null, 'empty_id');
    if (ids.has(q.id)) throw new ScoreError('form', q.id, 'duplicate_question');
    ids.add(q.id);
    if (!(q.weight >= 1)) throw new ScoreError('form', q.id, 'zero_weight');
    if (q.kind.type === 'scale') {
      if (!(q.kind.max >= 2 && q.kind.max <= 10)) throw new ScoreError('form', q.id, 'scale_size');
      if (q.critical) throw new ScoreError('form', q.id, 'critical_scale');
    }
  }
  if (ids.size === 0) throw new ScoreError('form', null, 'empty');
}

/** The fraction of its weight a question earns, or null when it does not apply (`share`). */
function share(q, answer) {
  if (answer === undefined || answer === null) {
    if (q.allow_na) return null;
    throw new ScoreError('missing', q.id);
  }
  if (answer === 'na') {
    if (q.allow_na) return null;
    throw new ScoreError('not_applicable_refused', q.id);
  }
  const scale = typeof answer === 'object' && Number.isInteger(answer.scale) ? answer.scale : null;
  if (q.kind.type === 'yes_no') {
    if (answer === 'yes') return 1;
    if (answer === 'no') return 0;
    throw new ScoreError('wrong_kind', q.id, 'yes/no');
  }
  if (scale === null) throw new ScoreError('wrong_kind', q.id, 'scale');
  if (scale < 1 || scale > q.kind.max) throw new ScoreError('outside_scale', q.id, `${scale}`);
  return (scale - 1) / (q.kind.max - 1);
}

/** `earned / possible` in percent with two decimals; null when nothing applied. */
function percent(earned, possible) {
  if (possible === 0) return null;
  const raw = (earned * 100) / possible;
  return Math.round(raw * 100) / 100;
}

/**
 * `qa::score`: answers (question id → "yes" | "no" | "na" | {scale: n}) on `form`; returns
 * { form, version, total, critical_failed, sections: [{ title, percent }] } or throws.
 */
export function score(form, answers) {
  validate(form);
  const known = new Set(questionsOf(form).map((q) => q.id));
  // BTreeMap order: the first unknown id in sorted order is the one named.
  const unknown = Object.keys(answers).sort().find((id) => !known.has(id));
  if (unknown !== undefined) throw new ScoreError('unknown_question', unknown);
  const criticalFailed = [];
  const sections = [];
  let earned = 0;
  let possible = 0;
  for (const section of form.sections) {
    let sEarned = 0;
    let sPossible = 0;
    for (const q of section.questions) {
      const s = share(q, Object.hasOwn(answers, q.id) ? answers[q.id] : undefined);
      if (s === null) continue;
      if (q.critical && s === 0) criticalFailed.push(q.id);
      sEarned += s * q.weight;
      sPossible += q.weight;
    }
    sections.push({ title: section.title, percent: percent(sEarned, sPossible) });
    earned += sEarned;
    possible += sPossible;
  }
  const total = percent(earned, possible);
  if (total === null) throw new ScoreError('nothing_applies');
  return {
    form: form.id,
    version: form.version,
    total: criticalFailed.length === 0 ? total : 0,
    critical_failed: criticalFailed,
    sections,
  };
}

/** A text of a form shipped with the switch comes from the message files; others as written. */
function formText(form, key, written) {
  const k = `review.form.${form.id}.${key}`;
  return has(k) ? t(k) : written;
}

const answerValue = (input) => (input.value.startsWith('scale:') ? { scale: Number(input.value.slice(6)) } : input.value);

function answerKey(answer) {
  if (answer && typeof answer === 'object') return `scale:${answer.scale}`;
  return answer;
}

/**
 * Draws `form` into `root` with `answers` checked; calls `onChange(answers)` on every choice.
 * Returns { answers(), relabel() }.
 */
export function renderForm(root, form, answers, onChange) {
  const current = { ...answers };
  const draw = () => {
    const sections = form.sections.map((section, si) => {
      const title = formText(form, `s${si}`, section.title);
      const questions = section.questions.map((q) => question(form, q, current[q.id]));
      return el('fieldset', { className: 'qa-section' }, el('legend', { text: title }), ...questions);
    });
    root.replaceChildren(
      el('p', { className: 'muted small', text: t('review.form_version', { name: formText(form, 'name', form.name), version: form.version }) }),
      ...sections,
    );
  };
  // One handler per root, replaced when the form is drawn again (after a new login).
  root.onchange = (event) => {
    const input = event.target;
    if (!input.name || !input.name.startsWith('q-')) return;
    current[input.dataset.question] = answerValue(input);
    onChange({ ...current });
  };
  draw();
  return { answers: () => ({ ...current }), relabel: draw };
}

function question(form, q, answer) {
  const choices = [];
  if (q.kind.type === 'yes_no') {
    choices.push(['yes', t('review.answer_yes')], ['no', t('review.answer_no')]);
  } else {
    for (let v = 1; v <= q.kind.max; v += 1) choices.push([`scale:${v}`, String(v)]);
  }
  if (q.allow_na) choices.push(['na', t('review.answer_na')]);
  const checked = answerKey(answer);
  const inputs = choices.map(([value, label]) => {
    const id = `q-${q.id}-${value.replace(':', '-')}`;
    const input = el('input', { type: 'radio', name: `q-${q.id}`, id, value, checked: value === checked });
    input.dataset.question = q.id;
    return el('span', { className: 'qa-choice' }, input, el('label', { htmlFor: id, text: label }));
  });
  const notes = [t('review.weight', { weight: q.weight })];
  if (q.kind.type === 'scale') notes.push(t('review.scale_of', { max: q.kind.max }));
  if (q.critical) notes.push(t('review.critical'));
  const legend = el('legend', {},
    el('span', { text: formText(form, q.id, q.text) }), ' ',
    el('span', { className: q.critical ? 'qa-note critical' : 'qa-note', text: `(${notes.join(' · ')})` }));
  const fieldset = el('fieldset', { className: 'qa-question' }, legend, el('div', { className: 'qa-choices' }, ...inputs));
  fieldset.dataset.question = q.id;
  return fieldset;
}

/** A scoring problem as a sentence (the question named by its text). */
export function explainScore(form, e) {
  if (!(e instanceof ScoreError)) return String(e.message || e);
  const q = questionsOf(form).find((x) => x.id === e.question);
  const name = q ? formText(form, q.id, q.text) : e.question;
  switch (e.kind) {
    case 'missing':
      return t('review.score_missing', { question: name });
    case 'nothing_applies':
      return t('review.score_nothing_applies');
    default:
      return t('review.score_invalid', { question: name || '—', detail: e.message });
  }
}
