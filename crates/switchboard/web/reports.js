// The reports page (supervisors and admins): filters (queues, channel, dates, grain), the queue
// and agent tables from /api/reports/queues and /api/reports/agents, the charts drawn by the
// switch (/api/reports/*/chart.svg) and CSV links with the same parameters, so the page, the
// charts and the CSV files show the same numbers (docs/reports.md).
'use strict';

import { $, api, explain, say, startPage, endSession, el } from '/app.js';
import { t, human, number, percent, duration, currentLanguage } from '/i18n.js';

const report = { queues: [], agents: [], params: null };

const page = {
  titleKey: 'reports.title',
  loginKey: 'login.title_reports',
  allows: (who) => who.role === 'admin' || who.role === 'supervisor',
  open: openReports,
  close: closeReports,
  relabel: () => {
    draw();
    drawCharts();
  },
};

/** `d` as the date input writes it (local calendar day). */
function isoDay(d) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

async function openReports() {
  const today = new Date();
  const weekAgo = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 6);
  if (!$('r-from').value) $('r-from').value = isoDay(weekAgo);
  if (!$('r-to').value) $('r-to').value = isoDay(today);
  try {
    const queues = await api('GET', '/api/queues');
    const select = $('r-queues');
    select.replaceChildren(...queues.map((q) => el('option', { value: q.name, text: q.name })));
  } catch (e) {
    say(explain(e), 'error');
  }
  await show();
}

function closeReports() {
  Object.assign(report, { queues: [], agents: [], params: null });
  $('queue-table').tBodies[0].replaceChildren();
  $('agent-table').tBodies[0].replaceChildren();
}

/** The query string of the chosen filters; null (and a message) if the dates are unusable. */
function params() {
  const from = $('r-from').value;
  const to = $('r-to').value;
  if (!from || !to || to < from) {
    say(t('reports.bad_dates'), 'error');
    return null;
  }
  const start = new Date(`${from}T00:00:00`);
  const end = new Date(`${to}T00:00:00`);
  end.setDate(end.getDate() + 1);
  const p = new URLSearchParams({
    from: start.toISOString(),
    to: end.toISOString(),
    interval: $('r-grain').value,
    channel: $('r-channel').value,
    // The browser's offset at the window's start (buckets use one fixed offset).
    tz_offset_minutes: String(-start.getTimezoneOffset()),
  });
  const queues = [...$('r-queues').selectedOptions].map((o) => o.value);
  if (queues.length) p.set('queues', queues.join(','));
  return p;
}

async function show(event) {
  if (event) event.preventDefault();
  const p = params();
  if (!p) return;
  $('r-show').disabled = true;
  try {
    const [queues, agents] = await Promise.all([
      api('GET', `/api/reports/queues?${p}`),
      api('GET', `/api/reports/agents?${p}`),
    ]);
    Object.assign(report, { queues, agents, params: p });
    draw();
    drawCharts();
    say('');
  } catch (e) {
    if (e.status === 401) endSession(page, t('error.session_ended'));
    else say(explain(e), 'error');
  } finally {
    $('r-show').disabled = false;
  }
}

/** The bucket as people read it: times local to the report's offset, weekdays by name. */
function bucketText(b) {
  if (b === 'total') return t('reports.grain_total');
  if (/^(mon|tue|wed|thu|fri|sat|sun)$/.test(b)) return human('reports.weekday', b);
  return b.replace('T', ' ').replace(/:00([+-]\d\d:\d\d)$/, ' $1');
}

function cell(text, header) {
  const c = el(header ? 'th' : 'td', { text });
  if (header) c.scope = 'row';
  return c;
}

function draw() {
  if (!report.params) return;
  const q = report.queues;
  $('queue-empty').hidden = q.length > 0;
  $('queue-table').tBodies[0].replaceChildren(
    ...q.map((r) =>
      el('tr', {},
        cell(r.queue, true),
        cell(bucketText(r.bucket)),
        cell(number(r.offered)),
        cell(number(r.answered)),
        cell(number(r.abandoned)),
        cell(number(r.overflowed)),
        cell(percent(r.service_level)),
        cell(duration(r.asa_secs)),
        cell(duration(r.aht_secs)),
        cell(duration(r.max_wait_secs)))),
  );
  const a = report.agents;
  $('agent-empty').hidden = a.length > 0;
  $('agent-table').tBodies[0].replaceChildren(
    ...a.map((r) =>
      el('tr', {},
        cell(r.agent, true),
        cell(duration(r.logged_in_secs)),
        cell(number(r.calls_answered)),
        cell(duration(r.on_call_secs)),
        cell(duration(r.hold_secs)),
        cell(duration(r.wrap_up_secs)),
        cell(pauses(r)),
        cell(number(r.missed_offers)),
        cell(percent(r.occupancy)))),
  );
  const csv = new URLSearchParams(report.params);
  csv.set('format', 'csv');
  $('queue-csv').href = `/api/reports/queues?${csv}`;
  $('agent-csv').href = `/api/reports/agents?${csv}`;
}

/** "25 min (lunch 20 min, break 5 min)". */
function pauses(r) {
  const total = duration(r.paused_secs);
  const parts = Object.entries(r.paused_by_reason || {})
    .filter(([, secs]) => secs > 0)
    .map(([reason, secs]) => `${reason ? human('reason', reason) : t('reports.no_reason')} ${duration(secs)}`);
  return parts.length ? `${total} (${parts.join(', ')})` : total;
}

function drawCharts() {
  if (!report.params) return;
  const p = new URLSearchParams(report.params);
  p.set('lang', currentLanguage());
  const charts = [
    ['chart-calls', 'queues', 'calls', 'reports.chart_calls'],
    ['chart-sl', 'queues', 'service_level', 'reports.chart_sl'],
    ['chart-times', 'queues', 'times', 'reports.chart_times'],
    ['chart-occupancy', 'agents', 'occupancy', 'reports.chart_occupancy'],
  ];
  for (const [id, kind, chart, alt] of charts) {
    p.set('chart', chart);
    const img = $(id);
    img.alt = t(alt);
    img.src = `/api/reports/${kind}/chart.svg?${p}`;
  }
}

$('report-form').addEventListener('submit', show);
startPage(page);
