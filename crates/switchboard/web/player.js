// The recording player of the review page: play/pause, a time bar to seek (a range input, so
// keyboards and screen readers know it) over the waveform of both channels, skip ±10 s,
// speed 1× / 1.25× / 1.5×, and a volume for each side of the stereo recording (caller left,
// agent right). The audio element streams `/api/recordings/{id}/audio` with range requests;
// its sound goes through Web Audio: ChannelSplitter → a GainNode per channel → ChannelMerger →
// AnalyserNode → speakers. The graph starts on the first play (browsers start audio on a
// gesture). Shortcuts while the focus is not in a text field: space plays or pauses, ← and →
// skip 10 s. Plain JS, data through textContent only.
'use strict';

import { t, translate } from '/i18n.js';
import { el } from '/app.js';

export const SKIP_S = 10;
export const SPEEDS = [1, 1.25, 1.5];
/** Spans of the waveform asked from the server (about the canvas's width in pixels). */
const PEAK_SPANS = 600;

/** Seconds as `mm:ss` (`h:mm:ss` from an hour on), like `qa::TimedComment::label`. */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor(s / 60) % 60;
  const pad = (n) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/** `mm:ss`, `m:ss` or `h:mm:ss` as seconds; null when it is not a time. */
export function parseClock(text) {
  const m = /^(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$/.exec(String(text).trim());
  if (!m) return null;
  const [a, b, c] = [Number(m[1]), Number(m[2]), m[3] === undefined ? null : Number(m[3])];
  return c === null ? a * 60 + b : a * 3600 + b * 60 + c;
}

/** Whether a key press belongs to the control it happened in rather than to the player. */
function typingIn(target, key) {
  const tag = target && target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT' || (target && target.isContentEditable)) return true;
  if (tag === 'INPUT') return true;
  return key === ' ' && (tag === 'BUTTON' || tag === 'A');
}

export class Player {
  /**
   * Builds the player in `root` for recording `rec` (its row from the API: id, duration_ms,
   * channels). `onTime(seconds)` is told the position as it changes.
   */
  constructor(root, rec, { onTime } = {}) {
    this.rec = rec;
    this.onTime = onTime || (() => {});
    this.graph = null;
    this.peaks = null;
    this.build(root);
    this.wire();
    this.loadPeaks();
  }

  build(root) {
    const id = (name) => `player-${name}`;
    this.audio = el('audio', { id: id('audio'), preload: 'metadata', src: `/api/recordings/${encodeURIComponent(this.rec.id)}/audio` });
    this.canvas = el('canvas', { id: id('wave'), className: 'player-wave', width: PEAK_SPANS, height: 96 });
    // The range input below is the accessible seek control; the picture is a mouse shortcut.
    this.canvas.setAttribute('aria-hidden', 'true');
    this.seek = el('input', { id: id('seek'), type: 'range', min: 0, max: this.fallbackDuration(), step: 0.1, value: 0 });
    this.seek.setAttribute('data-i18n-label', 'player.position');
    this.time = el('span', { id: id('time'), className: 'player-time' });
    this.time.setAttribute('aria-hidden', 'true');
    this.playButton = el('button', { id: id('play'), type: 'button', className: 'primary' });
    this.back = el('button', { id: id('back'), type: 'button', 'data-i18n': 'player.back' });
    this.forward = el('button', { id: id('forward'), type: 'button', 'data-i18n': 'player.forward' });
    const speeds = SPEEDS.map((s) => {
      const input = el('input', { type: 'radio', name: 'player-speed', id: id(`speed-${String(s).replace('.', '_')}`), value: String(s), checked: s === 1 });
      return el('span', { className: 'qa-choice' }, input, el('label', { htmlFor: input.id, text: `${s}×` }));
    });
    const speed = el('fieldset', { id: id('speed'), className: 'player-speed' },
      el('legend', { 'data-i18n': 'player.speed' }), el('div', { className: 'qa-choices' }, ...speeds));
    const volume = (side) => {
      const input = el('input', { id: id(`${side}-volume`), type: 'range', min: 0, max: 100, step: 1, value: 100 });
      return el('div', { className: 'player-volume' },
        el('label', { htmlFor: input.id, 'data-i18n': `player.${side}_volume` }), input,
        el('output', { id: id(`${side}-volume-value`), htmlFor: input.id, text: '100%' }));
    };
    this.callerVolume = volume('caller');
    this.agentVolume = volume('agent');
    this.agentVolume.hidden = this.rec.channels === 1;
    const legend = el('p', { className: 'player-legend small' },
      el('span', { className: 'swatch caller' }), el('span', { 'data-i18n': 'player.caller_wave' }), ' ',
      el('span', { className: 'swatch agent' }), el('span', { 'data-i18n': 'player.agent_wave' }));
    legend.querySelectorAll('.swatch').forEach((s) => s.setAttribute('aria-hidden', 'true'));
    const help = el('p', { id: id('keys'), className: 'muted small', 'data-i18n': 'player.keys' });
    this.seek.setAttribute('aria-describedby', help.id);
    root.replaceChildren(
      this.audio,
      el('div', { className: 'player-bar' }, this.canvas, this.seek),
      el('div', { className: 'buttons player-controls' }, this.back, this.playButton, this.forward, this.time),
      legend,
      el('div', { className: 'player-settings' }, speed, this.callerVolume, this.agentVolume),
      help,
    );
    this.relabel();
  }

  wire() {
    const a = this.audio;
    this.playButton.addEventListener('click', () => this.toggle());
    this.back.addEventListener('click', () => this.skip(-SKIP_S));
    this.forward.addEventListener('click', () => this.skip(SKIP_S));
    this.seek.addEventListener('input', () => this.seekTo(Number(this.seek.value)));
    this.canvas.addEventListener('click', (event) => {
      const box = this.canvas.getBoundingClientRect();
      this.seekTo(((event.clientX - box.left) / box.width) * this.duration());
    });
    for (const input of this.root().querySelectorAll('input[name="player-speed"]')) {
      input.addEventListener('change', () => this.setSpeed(Number(input.value)));
    }
    for (const side of ['caller', 'agent']) {
      const input = this.root().querySelector(`#player-${side}-volume`);
      input.addEventListener('input', () => this.setVolume(side, Number(input.value) / 100));
    }
    for (const event of ['timeupdate', 'seeked', 'durationchange', 'loadedmetadata']) {
      a.addEventListener(event, () => this.show());
    }
    for (const event of ['play', 'pause', 'ended']) a.addEventListener(event, () => this.relabel());
    // The speed survives the element's resets (a new source resets playbackRate).
    a.addEventListener('loadedmetadata', () => { a.playbackRate = this.speed || 1; });
    this.keys = (event) => this.onKey(event);
    document.addEventListener('keydown', this.keys);
  }

  root() {
    return this.audio.parentElement;
  }

  /** The length in seconds: the element's once known, else the recording row's. */
  duration() {
    const d = this.audio.duration;
    return Number.isFinite(d) && d > 0 ? d : this.fallbackDuration();
  }

  fallbackDuration() {
    return (this.rec.duration_ms || 0) / 1000;
  }

  currentTime() {
    return this.audio.currentTime;
  }

  /** Starts the Web Audio graph (inside a gesture: the first play). */
  startGraph() {
    if (this.graph) return;
    const Ctx = window.AudioContext || window.webkitAudioContext;
    const ctx = new Ctx();
    const source = ctx.createMediaElementSource(this.audio);
    const splitter = ctx.createChannelSplitter(2);
    const caller = ctx.createGain();
    const agent = ctx.createGain();
    const merger = ctx.createChannelMerger(2);
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 8192;
    source.connect(splitter);
    splitter.connect(caller, 0);
    if (this.rec.channels === 1) {
      // A mono file: its one channel (the caller's volume) to both speakers.
      caller.connect(merger, 0, 0);
      caller.connect(merger, 0, 1);
    } else {
      splitter.connect(agent, 1);
      caller.connect(merger, 0, 0);
      agent.connect(merger, 0, 1);
    }
    merger.connect(analyser);
    analyser.connect(ctx.destination);
    this.graph = { ctx, gains: { caller, agent }, analyser };
    for (const side of ['caller', 'agent']) {
      this.setVolume(side, Number(this.root().querySelector(`#player-${side}-volume`).value) / 100);
    }
  }

  /** What reaches the speakers, for meters and tests (null before the first play). */
  get analyser() {
    return this.graph ? this.graph.analyser : null;
  }

  async play() {
    this.startGraph();
    if (this.graph.ctx.state === 'suspended') await this.graph.ctx.resume();
    await this.audio.play();
  }

  toggle() {
    if (this.audio.paused) {
      this.play().catch((e) => this.fail(e));
    } else {
      this.audio.pause();
    }
  }

  fail(e) {
    this.root().dispatchEvent(new CustomEvent('player-error', { bubbles: true, detail: e }));
  }

  seekTo(seconds) {
    const s = Math.min(Math.max(0, seconds), this.duration());
    this.audio.currentTime = s;
    this.show(s);
  }

  /** Moves by `seconds`, held to the start and the end. */
  skip(seconds) {
    this.seekTo(this.audio.currentTime + seconds);
  }

  setSpeed(rate) {
    if (!SPEEDS.includes(rate)) return;
    this.speed = rate;
    this.audio.playbackRate = rate;
    const input = this.root().querySelector(`input[name="player-speed"][value="${rate}"]`);
    if (input) input.checked = true;
  }

  /** `side` is `caller` or `agent`; `level` 0..1. */
  setVolume(side, level) {
    const l = Math.min(Math.max(0, level), 1);
    const input = this.root().querySelector(`#player-${side}-volume`);
    input.value = String(Math.round(l * 100));
    this.root().querySelector(`#player-${side}-volume-value`).textContent = `${Math.round(l * 100)}%`;
    input.setAttribute('aria-valuetext', `${Math.round(l * 100)}%`);
    if (this.graph) this.graph.gains[side].gain.value = l;
  }

  onKey(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (typingIn(event.target, event.key)) return;
    if (event.key === ' ') this.toggle();
    else if (event.key === 'ArrowLeft') this.skip(-SKIP_S);
    else if (event.key === 'ArrowRight') this.skip(SKIP_S);
    else return;
    event.preventDefault();
  }

  async loadPeaks() {
    try {
      const response = await fetch(`/api/recordings/${encodeURIComponent(this.rec.id)}/peaks?n=${PEAK_SPANS}`, {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      });
      if (!response.ok) throw new Error(`${response.status}`);
      this.peaks = await response.json();
    } catch (_) {
      // No waveform: the time bar alone still seeks.
      this.peaks = null;
    }
    this.draw();
  }

  /** The time display, the bar's value and text, and the picture's playhead. */
  show(at) {
    const now = at ?? this.audio.currentTime;
    const total = this.duration();
    this.seek.max = String(total);
    this.seek.value = String(now);
    this.time.textContent = `${clock(now)} / ${clock(total)}`;
    this.seek.setAttribute('aria-valuetext', t('player.at', { at: clock(now), total: clock(total) }));
    this.draw();
    this.onTime(now);
  }

  draw() {
    const c = this.canvas;
    const g = c.getContext('2d');
    if (!g) return;
    const { width, height } = c;
    const styles = getComputedStyle(c);
    const mid = height / 2;
    g.clearRect(0, 0, width, height);
    const played = this.duration() > 0 ? (this.audio.currentTime / this.duration()) * width : 0;
    const lanes = this.peaks && this.peaks.buckets > 0 ? this.peaks.peaks : [];
    lanes.forEach((lane, ch) => {
      const colour = styles.getPropertyValue(ch === 0 ? '--wave-caller' : '--wave-agent').trim() || '#555';
      const w = width / lane.length;
      lane.forEach((v, i) => {
        const h = Math.max(1, v * (mid - 2));
        g.globalAlpha = i * w < played ? 1 : 0.45;
        g.fillStyle = colour;
        // The caller above the middle line, the agent below it.
        g.fillRect(i * w, ch === 0 ? mid - h : mid, Math.max(1, w - 0.5), h);
      });
    });
    g.globalAlpha = 1;
    g.fillStyle = styles.getPropertyValue('--ink').trim() || '#000';
    g.fillRect(Math.min(played, width - 2), 0, 2, height);
  }

  /** Rewrites the texts that depend on the state or the language. */
  relabel() {
    translate(this.root());
    const playing = !this.audio.paused;
    this.playButton.textContent = playing ? t('player.pause') : t('player.play');
    this.playButton.dataset.state = playing ? 'playing' : 'paused';
    this.show();
  }

  /** Stops the sound and the shortcuts (the page is leaving the recording). */
  close() {
    document.removeEventListener('keydown', this.keys);
    this.audio.pause();
    if (this.graph) this.graph.ctx.close();
  }
}
