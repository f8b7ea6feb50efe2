// The staffing page: pick queues, a week and an interval, change the what-ifs (service-level
// target, handle time, forecast scale, shrinkage) and see per interval the forecast calls, the
// agents needed (Erlang C and A), the agents to schedule against those logged in at that time in
// past weeks, as a table and a chart; everything from GET /api/staffing (docs/staffing.md).
'use strict';

import { $, api, explain, say, startPage, endSession, el } from '/app.js';
import { t, number, duration, currentLanguage } from '/i18n.js';
import { staffingChart } from '/staffing-chart.js';

const view = { plan: null, day: null };

const page = {
  titleKey: 'staffing.title',
  loginKey: 'login.title_board',
  allows: (who) => who.role === 'admin' || who.role === 'supervisor',
  open: openPage,
  close: () => {
    Object.assign(view, { plan: null, day: null });
    $('result').hidden = true;
  },
  relabel: draw,
};

const fixed = (x, digits) =>
  x === null || x === undefined || !Number.isFinite(x)
    ? '—'
    : new Intl.NumberFormat(currentLanguage(), { maximumFractionDigits: digits }).format(x);
const share = (x) =>
  x === null || x === undefined || !Number.isFinite(x)
    ? '—'
    : new Intl.NumberFormat(currentLanguage(), { style: 'percent', maximumFractionDigits: 1 }).format(x);

/** The Monday of next week, as YYYY-MM-DD in local time. */
function nextMonday() {
  const d = new Date();
  d.setDate(d.getDate() + ((8 - d.getDay()) % 7 || 7));
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

async function openPage() {
  if (!$('s-week').value) $('s-week').value = nextMonday();
  try {
    const queues = await api('GET', '/api/queues');
    const chosen = new Set(Array.from($('s-queues').selectedOptions, (o) => o.value));
    $('s-queues').replaceChildren(
      ...queues.map((q) => el('option', { value: q.name, text: q.name, selected: chosen.has(q.name) })),
    );
  } catch (e) {
    if (e.status === 401) return endSession(page, t('error.session_ended'));
    say(explain(e), 'error');
  }
  $('staffing-form').onsubmit = (event) => {
    event.preventDefault();
    compute();
  };
  $('s-day').onchange = () => {
    view.day = $('s-day').value;
    drawDay();
  };
  await compute();
}

/** The query string of the form's choices (empty what-ifs left out: the server's defaults). */
function query() {
  const p = new URLSearchParams();
  const queues = Array.from($('s-queues').selectedOptions, (o) => o.value);
  if (queues.length) p.set('queues', queues.join(','));
  p.set('week', $('s-week').value || nextMonday());
  p.set('interval', $('s-interval').value);
  p.set('tz_offset_minutes', String(-new Date().getTimezoneOffset()));
  for (const [id, name] of [
    ['s-sl-target', 'sl_target'],
    ['s-sl-seconds', 'sl_seconds'],
    ['s-aht', 'aht'],
    ['s-scale', 'forecast_scale'],
    ['s-shrinkage', 'shrinkage'],
  ]) {
    const v = $(id).value.trim();
    if (v !== '') p.set(name, v);
  }
  return p;
}

async function compute() {
  const p = query();
  $('s-compute').disabled = true;
  try {
    view.plan = await api('GET', `/api/staffing?${p}`);
    const csv = new URLSearchParams(p);
    csv.set('format', 'csv');
    $('s-csv').href = `/api/staffing?${csv}`;
    const days = [...new Set(view.plan.rows.map((r) => r.date))];
    if (!days.includes(view.day)) {
      // The first day with calls, else the first day.
      view.day = (view.plan.rows.find((r) => r.forecast_calls > 0) || view.plan.rows[0] || {}).date || null;
    }
    say('');
    draw();
  } catch (e) {
    if (e.status === 401) return endSession(page, t('error.session_ended'));
    say(explain(e), 'error');
    $('result').hidden = true;
  } finally {
    $('s-compute').disabled = false;
  }
}

function weekdayName(date) {
  const [y, m, d] = date.split('-').map(Number);
  return new Intl.DateTimeFormat(currentLanguage(), { weekday: 'long', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(
    new Date(Date.UTC(y, m - 1, d)),
  );
}

function draw() {
  const plan = view.plan;
  if (!plan) return;
  $('result').hidden = false;
  const error = plan.forecast.error;
  const facts = [
    ['staffing.model', t(plan.model === 'erlang_a' ? 'staffing.model_a' : 'staffing.model_c')],
    ['staffing.target', t('staffing.target_value', { percent: fixed(plan.sl_target_percent, 1), seconds: number(plan.sl_seconds) })],
    ['staffing.weeks_used', number(plan.forecast.weeks_used)],
    ['staffing.growth', share(plan.forecast.weekly_growth - 1)],
    ['staffing.error', error ? t('staffing.error_value', { wape: share(error.wape), mape: share(error.mape), weeks: number(error.weeks) }) : t('staffing.error_none')],
    ['staffing.patience', plan.patience_secs === null ? t('staffing.patience_none') : duration(plan.patience_secs)],
    ['staffing.history_aht', duration(plan.history_aht_secs)],
  ];
  $('summary').replaceChildren(...facts.flatMap(([key, value]) => [el('dt', { text: t(key) }), el('dd', { text: value })]));
  const days = [...new Set(plan.rows.map((r) => r.date))];
  $('s-day').replaceChildren(...days.map((d) => el('option', { value: d, text: weekdayName(d), selected: d === view.day })));
  drawDay();
}

function drawDay() {
  const rows = view.plan.rows.filter((r) => r.date === view.day);
  $('chart').replaceChildren(
    staffingChart(
      rows.map((r) => ({ label: r.start, required: r.to_schedule, scheduled: r.scheduled })),
      {
        title: t('staffing.chart_title', { day: view.day ? weekdayName(view.day) : '—' }),
        desc: t('staffing.chart_desc'),
        required: t('staffing.legend_required'),
        scheduled: t('staffing.legend_scheduled'),
      },
    ),
  );
  $('plan').querySelector('tbody').replaceChildren(...rows.map(row));
}

function cell(field, raw, shown) {
  const td = el('td', { text: shown, 'data-field': field });
  td.dataset.value = raw === null || raw === undefined ? '' : String(raw);
  return td;
}

function row(r) {
  const tr = el('tr', { 'data-start': r.start });
  tr.append(
    el('th', { scope: 'row', text: r.start }),
    cell('forecast_calls', r.forecast_calls, fixed(r.forecast_calls, 1)),
    cell('aht_secs', r.aht_secs, duration(r.aht_secs)),
    cell('needed_erlang_c', r.needed_erlang_c, number(r.needed_erlang_c)),
    cell('needed_erlang_a', r.needed_erlang_a, number(r.needed_erlang_a)),
    cell('to_schedule', r.to_schedule, number(r.to_schedule)),
    cell('scheduled', r.scheduled, fixed(r.scheduled, 1)),
    cell('service_level', r.service_level, share(r.service_level)),
    cell('asa_secs', r.asa_secs, duration(r.asa_secs)),
    cell('occupancy', r.occupancy, share(r.occupancy)),
    cell('scheduled_service_level', r.scheduled_service_level, share(r.scheduled_service_level)),
  );
  // Fewer logged in than needed: said in words, not by colour alone.
  if (r.to_schedule > 0 && r.scheduled < r.to_schedule) {
    const td = tr.lastChild;
    td.classList.add('tone-bad');
    td.append(el('span', { className: 'visually-hidden', text: ` ${t('staffing.understaffed')}` }));
    td.prepend('⚠ ');
  }
  return tr;
}

startPage(page);
