/* Switchboard web call widget (docs/webcall.md). One script tag:
 *   <script src="https://switch.example/widget.js" data-entry="loans"></script>
 * Optional attributes: data-lang="ko|en" (default: the browser's language), data-target="id"
 * (an element to render into; default: right after the script), and for a logged-in customer
 * data-customer-id, data-signature, data-expires (HMAC-SHA256 by the site, see the docs).
 * A page may set window.switchboardWidgetAudio to getUserMedia audio constraints.
 * Plain JavaScript, no build step, no other site's code. */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script) { return; }
  var entry = script.getAttribute('data-entry') || '';
  var base = new URL(script.src, location.href);
  var wsBase = (base.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + base.host;
  var langAttr = (script.getAttribute('data-lang') || navigator.language || 'en').toLowerCase();
  var lang = langAttr.indexOf('ko') === 0 ? 'ko' : 'en';

  var MESSAGES = {
    en: {
      title: 'Talk to an adviser', call: 'Call us', connecting: 'Connecting…',
      ivr: 'Choose an option with the keypad.',
      queued: 'You are number {position} in line (about {wait} min).',
      ringing: 'An adviser is being called…', connected: 'Connected',
      ended: 'The call has ended.', ended_media: 'The connection was lost.',
      mic_refused: 'Microphone access was refused: allow the microphone for this page to call.',
      no_mic: 'No microphone was found.', no_webrtc: 'This browser cannot place calls.',
      closed: 'We are closed now.', busy: 'All lines are busy: please try again in a few minutes.',
      rate_limited: 'Too many calls from your network: please try again later.',
      failed: 'The call could not be connected.', bad_offer: 'This browser\'s audio is not supported.',
      forged_signature: 'Your session could not be verified: please log in again.',
      mute: 'Mute', unmute: 'Unmute', keypad: 'Keypad', hangup: 'Hang up', timer: 'Call time',
      status: 'Call status', key: 'Key'
    },
    ko: {
      title: '상담원과 통화하기', call: '전화 상담', connecting: '연결 중…',
      ivr: '키패드로 메뉴를 선택하세요.',
      queued: '대기 순번 {position}번입니다 (약 {wait}분).',
      ringing: '상담원을 호출하고 있습니다…', connected: '연결되었습니다',
      ended: '통화가 종료되었습니다.', ended_media: '연결이 끊어졌습니다.',
      mic_refused: '마이크 사용이 거부되었습니다. 이 페이지에서 마이크를 허용해 주세요.',
      no_mic: '마이크를 찾을 수 없습니다.', no_webrtc: '이 브라우저에서는 전화를 걸 수 없습니다.',
      closed: '지금은 상담 시간이 아닙니다.', busy: '모든 회선이 통화 중입니다. 잠시 후 다시 시도해 주세요.',
      rate_limited: '사용 중인 네트워크에서 통화 요청이 너무 많습니다. 잠시 후 다시 시도해 주세요.',
      failed: '전화를 연결하지 못했습니다.', bad_offer: '이 브라우저의 오디오는 지원되지 않습니다.',
      forged_signature: '로그인 정보를 확인할 수 없습니다. 다시 로그인해 주세요.',
      mute: '음소거', unmute: '음소거 해제', keypad: '키패드', hangup: '끊기', timer: '통화 시간',
      status: '통화 상태', key: '키'
    }
  };
  function t(key, vars) {
    var text = MESSAGES[lang][key] || MESSAGES.en[key] || key;
    Object.keys(vars || {}).forEach(function (k) { text = text.split('{' + k + '}').join(String(vars[k])); });
    return text;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  var css = document.createElement('link');
  css.rel = 'stylesheet';
  css.href = new URL('/widget.css', base).href;
  document.head.appendChild(css);

  var root = el('section', 'sbw');
  root.setAttribute('aria-label', t('title'));
  root.setAttribute('lang', lang);
  var note = el('p', 'sbw-note');
  var callButton = el('button', 'sbw-call', t('call'));
  callButton.type = 'button';
  var status = el('p', 'sbw-status');
  status.setAttribute('role', 'status');
  status.setAttribute('aria-live', 'polite');
  status.setAttribute('aria-label', t('status'));
  var timer = el('p', 'sbw-timer');
  timer.setAttribute('aria-label', t('timer'));
  timer.hidden = true;
  var controls = el('div', 'sbw-controls');
  controls.hidden = true;
  var muteButton = el('button', 'sbw-mute', t('mute'));
  muteButton.type = 'button';
  muteButton.setAttribute('aria-pressed', 'false');
  var hangupButton = el('button', 'sbw-hangup', t('hangup'));
  hangupButton.type = 'button';
  var keypad = el('div', 'sbw-keypad');
  keypad.setAttribute('role', 'group');
  keypad.setAttribute('aria-label', t('keypad'));
  '123456789*0#'.split('').forEach(function (d) {
    var b = el('button', 'sbw-key', d);
    b.type = 'button';
    b.setAttribute('aria-label', t('key') + ' ' + d);
    b.addEventListener('click', function () { sendDigit(d); });
    keypad.appendChild(b);
  });
  var audio = el('audio', 'sbw-audio');
  audio.autoplay = true;
  controls.appendChild(muteButton);
  controls.appendChild(hangupButton);
  controls.appendChild(keypad);
  [note, callButton, status, timer, controls, audio].forEach(function (c) { root.appendChild(c); });
  var target = document.getElementById(script.getAttribute('data-target') || '');
  if (target) { target.appendChild(root); } else { script.parentNode.insertBefore(root, script.nextSibling); }

  var call = null;

  function setStatus(text) { status.textContent = text; }

  function describe() {
    fetch(new URL('/api/web/' + encodeURIComponent(entry), base).href)
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (info) {
        if (!info) { return; }
        if (info.closed) {
          callButton.disabled = true;
          setStatus(info.closed_message || t('closed'));
        } else if (info.message) {
          note.textContent = info.message;
        }
      })
      .catch(function () { /* the call itself will say what is wrong */ });
  }

  function context() {
    var c = { page_url: location.href };
    var id = script.getAttribute('data-customer-id');
    if (id) {
      c.customer_id = id;
      var sig = script.getAttribute('data-signature');
      var exp = script.getAttribute('data-expires');
      if (sig && exp) { c.signature = sig; c.expires = parseInt(exp, 10); }
    }
    return c;
  }

  function startTimer() {
    if (call.timerId) { return; }
    var started = Date.now();
    timer.hidden = false;
    var tick = function () {
      var s = Math.floor((Date.now() - started) / 1000);
      var mm = Math.floor(s / 60), ss = s % 60;
      timer.textContent = (mm < 10 ? '0' : '') + mm + ':' + (ss < 10 ? '0' : '') + ss;
    };
    tick();
    call.timerId = setInterval(tick, 1000);
  }

  function showState(m) {
    root.setAttribute('data-state', m.state);
    switch (m.state) {
      case 'connecting': setStatus(t('connecting')); break;
      case 'ivr': setStatus(t('ivr')); break;
      case 'queued':
        setStatus(t('queued', { position: m.position, wait: Math.max(1, Math.round(m.estimated_wait_s / 60)) }));
        root.setAttribute('data-position', String(m.position));
        break;
      case 'ringing': setStatus(t('ringing')); break;
      case 'connected': setStatus(t('connected')); startTimer(); break;
      case 'ended': finish(m.reason === 'media' ? t('ended_media') : t('ended')); break;
    }
  }

  function finish(message) {
    if (!call) { return; }
    var c = call;
    call = null;
    if (c.timerId) { clearInterval(c.timerId); }
    if (c.ws && c.ws.readyState <= 1) { c.ws.close(); }
    if (c.pc) { c.pc.close(); }
    if (c.stream) { c.stream.getTracks().forEach(function (tr) { tr.stop(); }); }
    audio.srcObject = null;
    controls.hidden = true;
    callButton.hidden = false;
    callButton.disabled = false;
    root.setAttribute('data-state', 'ended');
    setStatus(message);
    callButton.focus();
  }

  function send(obj) {
    if (call && call.ws && call.ws.readyState === 1) { call.ws.send(JSON.stringify(obj)); }
  }

  function sendDigit(d) { send({ type: 'dtmf', digit: d }); }

  function start() {
    if (call) { return; }
    if (!window.RTCPeerConnection || !navigator.mediaDevices) { setStatus(t('no_webrtc')); return; }
    call = {};
    var c = call;
    callButton.disabled = true;
    setStatus(t('connecting'));
    var constraints = window.switchboardWidgetAudio || true;
    navigator.mediaDevices.getUserMedia({ audio: constraints, video: false }).then(function (stream) {
      if (call !== c) { stream.getTracks().forEach(function (tr) { tr.stop(); }); return; }
      c.stream = stream;
      var pc = new RTCPeerConnection();
      c.pc = pc;
      stream.getAudioTracks().forEach(function (tr) { pc.addTrack(tr, stream); });
      pc.ontrack = function (e) { audio.srcObject = e.streams[0] || new MediaStream([e.track]); };
      return pc.createOffer().then(function (offer) {
        return pc.setLocalDescription(offer).then(function () { connect(c, offer.sdp); });
      });
    }).catch(function (e) {
      var key = e && e.name === 'NotAllowedError' ? 'mic_refused'
        : (e && e.name === 'NotFoundError' ? 'no_mic' : 'failed');
      finish(t(key));
    });
  }

  function connect(c, sdp) {
    var ws = new WebSocket(wsBase + '/api/web/' + encodeURIComponent(entry) + '/ws');
    c.ws = ws;
    var errorShown = false;
    ws.onopen = function () { ws.send(JSON.stringify({ type: 'offer', sdp: sdp, context: context() })); };
    ws.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (call !== c) { return; }
      if (m.type === 'answer') {
        c.pc.setRemoteDescription({ type: 'answer', sdp: m.sdp }).catch(function () { finish(t('failed')); });
        callButton.hidden = true;
        controls.hidden = false;
        hangupButton.focus();
      } else if (m.type === 'state') {
        showState(m);
      } else if (m.type === 'error') {
        errorShown = true;
        finish(m.code === 'closed' && m.message ? m.message : t(m.code));
      }
    };
    ws.onclose = function () { if (call === c && !errorShown) { finish(t('ended')); } };
  }

  callButton.addEventListener('click', start);
  hangupButton.addEventListener('click', function () { send({ type: 'hangup' }); finish(t('ended')); });
  muteButton.addEventListener('click', function () {
    if (!call || !call.stream) { return; }
    var muted = muteButton.getAttribute('aria-pressed') !== 'true';
    call.stream.getAudioTracks().forEach(function (tr) { tr.enabled = !muted; });
    send({ type: 'mute', muted: muted });
    muteButton.setAttribute('aria-pressed', muted ? 'true' : 'false');
    muteButton.textContent = muted ? t('unmute') : t('mute');
  });
  window.addEventListener('pagehide', function () { if (call && call.ws) { call.ws.close(); } });
  describe();
})();
