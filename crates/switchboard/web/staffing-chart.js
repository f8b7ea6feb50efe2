// The staffing page's chart, drawn here as plain SVG (no library, nothing from other sites):
// per interval a bar of the agents to schedule and a dot of the agents logged in at that time
// in past weeks, joined by a line, on a labelled axis. Kept apart so a shared chart module can
// replace it. Text goes in through textContent only.
'use strict';

const NS = 'http://www.w3.org/2000/svg';
const HEIGHT = 260;
const PAD = { left: 44, right: 12, top: 14, bottom: 40 };
/** Narrowest and widest interval, px: a day of quarter hours scrolls, a few hours fill the width. */
const SLOT_MIN = 14;
const SLOT_MAX = 48;
const PLOT_WIDTH = 640;

function svg(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A round step for about five grid lines up to `max`. */
function tickStep(max) {
  const raw = Math.max(max, 1) / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) || raw;
}

/**
 * The chart of `rows` ({label, required, scheduled}), with `labels` {title, desc, required,
 * scheduled} in the page's language. Every bar and dot carries data-series and data-value.
 */
export function staffingChart(rows, labels) {
  const slot = Math.min(SLOT_MAX, Math.max(SLOT_MIN, Math.floor(PLOT_WIDTH / Math.max(rows.length, 1))));
  const width = PAD.left + PAD.right + Math.max(rows.length * slot, 320);
  const top = Math.max(1, ...rows.map((r) => Math.max(r.required, r.scheduled)));
  const step = tickStep(top);
  const max = Math.ceil(top / step) * step;
  const plot = HEIGHT - PAD.top - PAD.bottom;
  const y = (v) => PAD.top + plot - (v / max) * plot;
  const root = svg('svg', {
    id: 'staffing-chart',
    viewBox: `0 0 ${width} ${HEIGHT}`,
    width,
    height: HEIGHT,
    role: 'img',
    'aria-labelledby': 'chart-title chart-desc',
  });
  root.append(svg('title', { id: 'chart-title' }, labels.title), svg('desc', { id: 'chart-desc' }, labels.desc));
  for (let v = 0; v <= max + 1e-9; v += step) {
    root.append(
      svg('line', { x1: PAD.left, x2: width - PAD.right, y1: y(v), y2: y(v), class: 'chart-grid' }),
      svg('text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'chart-tick' }, String(Math.round(v * 10) / 10)),
    );
  }
  // Labels at least 40 px apart.
  const every = Math.ceil(40 / slot);
  const points = [];
  rows.forEach((r, i) => {
    const x = PAD.left + i * slot;
    root.append(
      svg('rect', {
        x: x + slot * 0.15,
        y: y(r.required),
        width: slot * 0.7,
        height: Math.max(0, y(0) - y(r.required)),
        class: 'chart-bar',
        'data-series': 'required',
        'data-value': r.required,
      }),
    );
    points.push([x + slot / 2, y(r.scheduled), r.scheduled]);
    if (i % every === 0) {
      root.append(svg('text', { x: x + slot / 2, y: HEIGHT - PAD.bottom + 16, 'text-anchor': 'middle', class: 'chart-tick' }, r.label));
    }
  });
  if (points.length) {
    root.append(svg('polyline', { points: points.map(([px, py]) => `${px},${py}`).join(' '), class: 'chart-line' }));
  }
  for (const [px, py, v] of points) {
    root.append(svg('circle', { cx: px, cy: py, r: 3.5, class: 'chart-dot', 'data-series': 'scheduled', 'data-value': v }));
  }
  // The legend: a word with each mark, so colour is never the only cue.
  const legendY = HEIGHT - 8;
  root.append(
    svg('rect', { x: PAD.left, y: legendY - 9, width: 12, height: 10, class: 'chart-bar' }),
    svg('text', { x: PAD.left + 16, y: legendY, class: 'chart-tick' }, labels.required),
    svg('circle', { cx: PAD.left + 156, cy: legendY - 4, r: 4, class: 'chart-dot' }),
    svg('text', { x: PAD.left + 164, y: legendY, class: 'chart-tick' }, labels.scheduled),
  );
  return root;
}
