// The review page's task list (`/review` without a parameter): the caller's QA tasks from
// `GET /api/qa/tasks` — a reviewer's assigned tasks, a supervisor's teams', everything for an
// admin, an agent's own submitted reviews — filtered by month, agent, team, queue and status
// (the filters are kept in the address so a reload or a shared link shows the same list).
// Each row links `/review?task=<id>`.
'use strict';

import { $, api, el } from '/app.js';
import { t, dateTime } from '/i18n.js';

export const STATUSES = ['assigned', 'draft', 'submitted', 'acknowledged', 'disputed', 'settled'];
const FILTERS = ['month', 'agent', 'team', 'queue', 'status'];

/** The filters in the address (`?month=2026-02&status=draft`), as the API's query. */
function query() {
  const params = new URLSearchParams(location.search);
  const q = new URLSearchParams();
  for (const f of FILTERS) {
    const v = (params.get(f) || '').trim();
    if (v) q.set(f, v);
  }
  return q;
}

/** Fills the status choices (again after a language change), keeping the selection. */
function statusChoices() {
  const select = $('task-status');
  const chosen = select.value || query().get('status') || '';
  select.replaceChildren(
    el('option', { value: '', text: t('qa.status_any') }),
    ...STATUSES.map((s) => el('option', { value: s, text: t(`qa.status.${s}`) })),
  );
  select.value = chosen;
}

/** The task list and its filter form; `reload` is called with the new address on a filter. */
export async function showTasks() {
  $('tasks').hidden = false;
  const q = query();
  for (const f of FILTERS) if (f !== 'status') $(`task-${f}`).value = q.get(f) || '';
  statusChoices();
  const suffix = q.toString() ? `?${q}` : '';
  const tasks = await api('GET', `/api/qa/tasks${suffix}`);
  drawTasks(tasks || []);
}

let shown = [];

function drawTasks(tasks) {
  shown = tasks;
  $('tasks-empty').hidden = tasks.length > 0;
  $('task-table').hidden = tasks.length === 0;
  $('task-count').textContent = t('qa.task_count', { count: tasks.length });
  $('task-rows').replaceChildren(...tasks.map((task) => {
    const link = el('a', { href: `/review?task=${encodeURIComponent(task.id)}`, text: t('qa.open_task') });
    link.setAttribute('aria-label', t('qa.open_task_of', { agent: task.agent, at: dateTime(task.answered_at) }));
    const status = el('span', { className: `task-status ${task.status}`, text: t(`qa.status.${task.status}`) });
    const purpose = task.purpose === 'follow_up' ? [' ', el('span', { className: 'qa-note', text: t('qa.follow_up_task') })] : [];
    return el('tr', {},
      el('td', { text: task.month }),
      el('td', { text: dateTime(task.answered_at) }),
      el('td', { text: task.agent }),
      el('td', { text: task.team || '—' }),
      el('td', { text: task.queue || '—' }),
      el('td', { text: task.reviewer || '—' }),
      el('td', {}, status, ...purpose),
      el('td', { text: task.score === null || task.score === undefined ? '—' : task.score.toFixed(2) }),
      el('td', {}, link));
  }));
}

/** Redraws the list's own words after a language change. */
export function relabelTasks() {
  if ($('tasks').hidden) return;
  statusChoices();
  drawTasks(shown);
}

/** The filter form: the filters go into the address, and the list is fetched again. */
export function wireTaskFilters(onError) {
  $('task-filters').addEventListener('submit', async (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    for (const f of FILTERS) {
      const v = $(`task-${f}`).value.trim();
      if (v) q.set(f, v);
    }
    history.replaceState(null, '', q.toString() ? `/review?${q}` : '/review');
    try {
      await showTasks();
      $('task-count').focus();
    } catch (e) {
      onError(e);
    }
  });
}
