// The agent's browser phone (issue 10): with "Answer in the browser" on, the page is the
// agent's phone. It opens /api/agents/me/phone/ws (its first message carries the session's
// CSRF token), the switch registers it as the agent's extension, and queue calls offered to
// the agent ring here: Answer (the microphone, a WebRTC offer, the switch's answer) or
// Decline; in a call Hang up, Hold (the switch plays the caller the queue's music, as for a desk
// phone's hold), Mute and a timer. The choice is kept in this browser
// (localStorage). The screen pop, wrap-up and history stay agent.js's: the phone only carries
// the audio. No SIP in the page (docs/webcall.md, "The agent's browser phone").
'use strict';

import { $, session } from '/app.js';
import { t } from '/i18n.js';

const STORE = 'switchboard.browserPhone';
/** How long to wait before opening the socket again after it dropped. */
const RETRY_MS = 5000;

const phone = {
  on: false,
  ws: null,
  retry: null,
  /** off | connecting | registered | ringing | answering | talking | failed */
  state: 'off',
  /** What the status line says: a message key and its values. */
  status: { key: 'phone.off', vars: {} },
  caller: null,
  pc: null,
  stream: null,
  muted: false,
  /** Held as the switch confirmed it (its `held` event): the caller hears the queue's music. */
  held: false,
  /** A Hold or Resume click the switch has not confirmed yet. */
  holding: false,
  since: null,
  timer: null,
};

/** Audio constraints for getUserMedia (tests turn the voice processing off for clean tones). */
function constraints() {
  return window.switchboardPhoneAudio || true;
}

function show(state, key, vars) {
  phone.state = state;
  if (key) phone.status = { key, vars: vars || {} };
  const box = $('phone');
  box.dataset.state = state;
  box.dataset.held = String(phone.held);
  $('phone-status').textContent = t(phone.status.key, phone.status.vars);
  $('phone-ringing').hidden = state !== 'ringing';
  $('phone-call').hidden = state !== 'talking' && state !== 'answering';
  $('phone-caller').textContent = phone.caller ? callerText(phone.caller) : '';
  $('phone-mute').setAttribute('aria-pressed', String(phone.muted));
  $('phone-mute').textContent = t(phone.muted ? 'phone.unmute' : 'phone.mute');
  $('phone-hold').setAttribute('aria-pressed', String(phone.held));
  $('phone-hold').disabled = phone.holding;
  $('phone-hold').textContent = t(phone.held ? 'phone.resume' : 'phone.hold');
  showTimer();
}

function callerText(c) {
  return c.caller_name ? `${c.caller_name} (${c.caller})` : c.caller;
}

function showTimer() {
  const s = phone.since ? Math.floor((Date.now() - phone.since) / 1000) : 0;
  const mm = String(Math.floor(s / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  $('phone-timer').textContent = phone.since ? `${mm}:${ss}` : '';
}

function send(message) {
  if (phone.ws && phone.ws.readyState === WebSocket.OPEN) phone.ws.send(JSON.stringify(message));
}

/** The microphone: asks for it (the browser's prompt), with a sentence for each refusal. */
async function microphone() {
  if (!window.RTCPeerConnection || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new PhoneProblem('phone.no_webrtc');
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: constraints(), video: false });
  } catch (e) {
    if (e && e.name === 'NotAllowedError') throw new PhoneProblem('phone.mic_refused');
    if (e && e.name === 'NotFoundError') throw new PhoneProblem('phone.no_mic');
    throw new PhoneProblem('phone.mic_failed');
  }
}

class PhoneProblem extends Error {
  constructor(key) {
    super(key);
    this.key = key;
  }
}

/** Turns the phone on: the microphone is asked for first, so a refusal shows at once. */
async function turnOn() {
  phone.on = true;
  localStorage.setItem(STORE, 'on');
  show('connecting', 'phone.mic_asking');
  try {
    const probe = await microphone();
    probe.getTracks().forEach((tr) => tr.stop());
  } catch (e) {
    phone.on = false;
    $('phone-toggle').checked = false;
    show('failed', e.key || 'phone.mic_failed');
    return;
  }
  if (phone.on) connect();
}

function turnOff() {
  phone.on = false;
  localStorage.setItem(STORE, 'off');
  clearTimeout(phone.retry);
  endCall();
  if (phone.ws) phone.ws.close();
  phone.ws = null;
  show('off', 'phone.off');
}

function connect() {
  clearTimeout(phone.retry);
  show('connecting', 'phone.connecting');
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${scheme}//${location.host}/api/agents/me/phone/ws`);
  phone.ws = ws;
  let refused = false;
  ws.onopen = () => {
    const csrf = session.who && session.who.csrf_token ? session.who.csrf_token : '';
    ws.send(JSON.stringify({ type: 'register', csrf }));
  };
  ws.onmessage = (event) => {
    if (phone.ws !== ws) return;
    let m;
    try {
      m = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (m.type === 'error') refused = true;
    onEvent(m);
  };
  ws.onclose = () => {
    if (phone.ws !== ws) return;
    phone.ws = null;
    endCall();
    if (!phone.on) return;
    if (refused) {
      phone.on = false;
      $('phone-toggle').checked = false;
      return;
    }
    show('connecting', 'phone.reconnecting');
    phone.retry = setTimeout(() => phone.on && connect(), RETRY_MS);
  };
}

function onEvent(m) {
  switch (m.type) {
    case 'registered':
      show('registered', 'phone.ready', { extension: m.extension });
      break;
    case 'incoming':
      phone.caller = { caller: m.caller || '', caller_name: m.caller_name || '' };
      show('ringing', 'phone.ringing', { caller: callerText(phone.caller) });
      ring(true);
      $('phone-answer').focus();
      break;
    case 'answer':
      if (phone.pc) phone.pc.setRemoteDescription({ type: 'answer', sdp: m.sdp }).catch(() => hangUp());
      break;
    case 'connected':
      phone.since = Date.now();
      clearInterval(phone.timer);
      phone.timer = setInterval(showTimer, 1000);
      show('talking', 'phone.talking', { caller: phone.caller ? callerText(phone.caller) : '' });
      $('phone-hangup').focus();
      break;
    case 'held':
      phone.held = Boolean(m.held);
      phone.holding = false;
      $('phone-audio').muted = phone.held;
      show(phone.state, phone.held ? 'phone.on_hold' : 'phone.talking', { caller: phone.caller ? callerText(phone.caller) : '' });
      break;
    case 'ended':
      endCall();
      show('registered', `phone.ended.${['hangup', 'remote', 'cancelled', 'declined', 'media'].includes(m.reason) ? m.reason : 'other'}`);
      break;
    case 'error':
      endCall();
      show('failed', `phone.error.${['forbidden', 'no_extension', 'bad_offer'].includes(m.code) ? m.code : 'other'}`, { detail: m.message || '' });
      break;
    default:
      break;
  }
}

/** A soft ring while a call is offered (Web Audio; silent if the page may not play sound). */
function ring(on) {
  if (!on) {
    if (phone.ringer) phone.ringer.close().catch(() => {});
    phone.ringer = null;
    return;
  }
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 425;
    gain.gain.value = 0;
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    // One second on, two off, as a phone rings.
    for (let i = 0; i < 60; i += 1) {
      gain.gain.setValueAtTime(0.05, ctx.currentTime + i * 3);
      gain.gain.setValueAtTime(0, ctx.currentTime + i * 3 + 1);
    }
    phone.ringer = ctx;
  } catch (e) {
    phone.ringer = null;
  }
}

async function answer() {
  if (phone.state !== 'ringing') return;
  ring(false);
  show('answering', 'phone.answering');
  let stream;
  try {
    stream = await microphone();
  } catch (e) {
    send({ type: 'decline' });
    show('registered', e.key || 'phone.mic_failed');
    return;
  }
  if (phone.state !== 'answering') {
    stream.getTracks().forEach((tr) => tr.stop());
    return;
  }
  phone.stream = stream;
  const pc = new RTCPeerConnection();
  phone.pc = pc;
  stream.getAudioTracks().forEach((tr) => pc.addTrack(tr, stream));
  pc.ontrack = (e) => {
    $('phone-audio').srcObject = e.streams[0] || new MediaStream([e.track]);
  };
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  send({ type: 'accept', sdp: offer.sdp });
}

function decline() {
  if (phone.state !== 'ringing') return;
  send({ type: 'decline' });
}

function hangUp() {
  send({ type: 'hangup' });
}

function toggleMute() {
  phone.muted = !phone.muted;
  // Local: the track stops; the switch sends silence too, so nothing leaks either way.
  if (phone.stream) phone.stream.getAudioTracks().forEach((tr) => { tr.enabled = !phone.muted; });
  send({ type: 'mute', muted: phone.muted });
  show(phone.state);
}

/** Asks the switch to hold (the caller hears the queue's music) or resume; the page shows
 * the change when the switch confirms it (`held`). */
function toggleHold() {
  if (phone.holding) return;
  phone.holding = true;
  send({ type: 'hold', held: !phone.held });
  show(phone.state);
}

/** Frees the call's microphone and connection; the phone stays registered. */
function endCall() {
  ring(false);
  if (phone.pc) phone.pc.close();
  if (phone.stream) phone.stream.getTracks().forEach((tr) => tr.stop());
  clearInterval(phone.timer);
  $('phone-audio').srcObject = null;
  $('phone-audio').muted = false;
  Object.assign(phone, { pc: null, stream: null, caller: null, muted: false, held: false, holding: false, since: null, timer: null });
}

/** Wires the panel once; turns the phone on again if it was on in this browser. */
export function openPhone() {
  // Off on this switch ([web] agent_phones): no panel, nothing asked of the browser.
  const offered = Boolean(session.who && session.who.browser_phone);
  $('phone').hidden = !offered;
  if (!offered) return;
  if (!$('phone').dataset.wired) {
    $('phone').dataset.wired = 'yes';
    $('phone-toggle').addEventListener('change', (e) => (e.target.checked ? turnOn() : turnOff()));
    $('phone-answer').addEventListener('click', answer);
    $('phone-decline').addEventListener('click', decline);
    $('phone-hangup').addEventListener('click', hangUp);
    $('phone-mute').addEventListener('click', toggleMute);
    $('phone-hold').addEventListener('click', toggleHold);
  }
  const wanted = localStorage.getItem(STORE) === 'on';
  $('phone-toggle').checked = wanted;
  if (wanted) turnOn();
  else show('off', 'phone.off');
}

/** Logged out: the phone goes with the session. */
export function closePhone() {
  const keep = localStorage.getItem(STORE);
  turnOff();
  if (keep) localStorage.setItem(STORE, keep);
}

/** After a language change. */
export function relabelPhone() {
  show(phone.state);
}
