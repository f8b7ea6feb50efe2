// The QA reports page (`/qa-reports`, supervisors and admins): per agent and team and month the
// reviews due and done, the average score and its change, improvement points opened, improved
// and carried, disputes and how they were settled, from `GET /api/qa/reports`; the same as
// CSV (`/api/qa/reports.csv`) and as a chart of each agent's and team's score by month drawn
// by the switch (`/api/qa/reports/chart.svg`), all with the same months; for admins, the
// follow-ups past their due day (`GET /api/qa/follow-ups?state=overdue`). The months are kept
// in the address.
'use strict';

import { $, api, el, explain, say, session, startPage } from '/app.js';
import { t, currentLanguage } from '/i18n.js';

const view = { report: null, overdue: null };

const COLUMNS = ['month', 'due', 'done', 'average', 'change', 'points_opened', 'points_improved', 'points_carried', 'disputes'];

const fixed = (x) => (x === null || x === undefined ? '—' : x.toFixed(2));

function months() {
  const q = new URLSearchParams(location.search);
  const p = new URLSearchParams();
  for (const k of ['from', 'to']) {
    const v = (q.get(k) || '').trim();
    if (v) p.set(k, v);
  }
  return p;
}

function cell(line, col) {
  if (col === 'average' || col === 'change') return fixed(line[col]);
  if (col === 'disputes') return t('qa.disputes_cell', { n: line.disputes, kept: line.disputes_kept, changed: line.disputes_changed });
  return String(line[col]);
}

/** A table of `series` (agents or teams): one row per series and month. */
function fill(table, series, withTeam) {
  const heads = [withTeam ? 'qa.col_agent' : 'qa.col_team', ...(withTeam ? ['qa.col_team'] : []), ...COLUMNS.map((c) => `qa.col_${c}`)];
  const rows = series.flatMap((s) => s.months.map((line) => {
    const tr = el('tr', {},
      el('th', { scope: 'row', text: s.name }),
      ...(withTeam ? [el('td', { text: s.team || '—' })] : []),
      ...COLUMNS.map((c) => el('td', { text: cell(line, c) })));
    tr.dataset.name = s.name;
    tr.dataset.month = line.month;
    return tr;
  }));
  table.replaceChildren(
    el('thead', {}, el('tr', {}, ...heads.map((k) => el('th', { scope: 'col', text: t(k) })))),
    el('tbody', {}, ...rows));
}

function draw() {
  if (!view.report) return;
  const p = months();
  $('qr-csv').href = `/api/qa/reports.csv${p.toString() ? `?${p}` : ''}`;
  p.set('lang', currentLanguage());
  $('qr-chart').src = `/api/qa/reports/chart.svg?${p}`;
  $('qr-chart').alt = t('qa.chart_alt', { from: view.report.months[0] || '', to: view.report.months.at(-1) || '' });
  fill($('qr-agents'), view.report.agents, true);
  fill($('qr-teams'), view.report.teams, false);
  if (view.overdue) {
    $('qr-overdue-card').hidden = false;
    $('qr-overdue-empty').hidden = view.overdue.length > 0;
    $('qr-overdue').hidden = view.overdue.length === 0;
    $('qr-overdue').replaceChildren(
      el('thead', {}, el('tr', {}, ...['qa.col_agent', 'qa.col_point', 'qa.col_due', 'qa.col_carries']
        .map((k) => el('th', { scope: 'col', text: t(k) })))),
      el('tbody', {}, ...view.overdue.map((f) => el('tr', {},
        el('td', { text: f.agent }), el('td', { text: f.text }), el('td', { text: f.due_on }),
        el('td', { text: String(f.carries) })))));
  }
}

async function load(who) {
  const p = months();
  $('qr-from').value = p.get('from') || '';
  $('qr-to').value = p.get('to') || '';
  const [report, overdue] = await Promise.all([
    api('GET', `/api/qa/reports${p.toString() ? `?${p}` : ''}`),
    who.role === 'admin' ? api('GET', '/api/qa/follow-ups?state=overdue') : null,
  ]);
  view.report = report;
  view.overdue = overdue;
  draw();
}

$('qr-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const p = new URLSearchParams();
  for (const [k, id] of [['from', 'qr-from'], ['to', 'qr-to']]) {
    const v = $(id).value.trim();
    if (v) p.set(k, v);
  }
  history.replaceState(null, '', p.toString() ? `/qa-reports?${p}` : '/qa-reports');
  try {
    say('');
    await load(session.who);
  } catch (e) {
    say(explain(e), 'error');
  }
});

startPage({
  titleKey: 'qa.reports_title',
  loginKey: 'login.title_board',
  allows: (who) => who.role === 'admin' || who.role === 'supervisor',
  open: (who) => load(who).catch((e) => say(explain(e), 'error')),
  close: () => {
    Object.assign(view, { report: null, overdue: null });
    $('qr-overdue-card').hidden = true;
  },
  relabel: draw,
});
