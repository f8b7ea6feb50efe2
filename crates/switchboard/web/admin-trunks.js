// The admin page's trunks and DIDs (issue 9, "as they land"): the trunks with their live
// state (registration, health, channels, calls in and out, refreshed every few seconds) and
// the DIDs, each added, changed and removed through /api/trunks and /api/dids: the API's
// checks and audit, applied at once. Administrators only (the API refuses supervisors: the
// trunks hold the carrier's credentials). The password is write-only: the form says whether
// one is set, blank keeps it.
'use strict';

import { $, api, explain, say, session, el, ApiError } from '/app.js';
import { t, human, number, duration } from '/i18n.js';
import { clearErrors, showErrors } from '/admin-form.js';

/** The trunk form's fields, as the API names them (`t-<field>` in the page). */
const FIELDS = ['name', 'host', 'port', 'transport', 'sources', 'username', 'password', 'register',
  'max_channels', 'max_cps', 'ping', 'strip', 'prepend', 'caller_id', 'number_format'];
const NUMERIC = new Set(['port', 'max_channels', 'max_cps', 'strip']);
const DID_FIELDS = ['number', 'kind', 'target'];
const DID_KINDS = ['route', 'queue', 'extension'];
const REFRESH_MS = 3000;

const trunks = { list: null, dids: [], editing: null, didEditing: null, timer: null, reload: async () => {} };

const mayManage = () => session.who && session.who.role === 'admin';

/** Read the trunks and DIDs (administrators only). */
export async function loadTrunks() {
  if (!mayManage()) {
    trunks.list = null;
    return;
  }
  const [plan, dids] = await Promise.all([api('GET', '/api/trunks'), api('GET', '/api/dids')]);
  trunks.list = plan.trunks;
  trunks.dids = dids.dids;
  if (!trunks.timer) trunks.timer = setInterval(refreshState, REFRESH_MS);
}

export function forgetTrunks() {
  if (trunks.timer) clearInterval(trunks.timer);
  Object.assign(trunks, { list: null, dids: [], editing: null, didEditing: null, timer: null });
}

/** The live figures only, written into the rows in place (focus and forms stay). */
async function refreshState() {
  if (!trunks.list) return;
  try {
    const plan = await api('GET', '/api/trunks');
    for (const fresh of plan.trunks) {
      const known = trunks.list.find((x) => x.name === fresh.name);
      if (known) known.status = fresh.status;
    }
    for (const tr of $('trunk-list').querySelectorAll('tbody tr')) {
      const trunk = trunks.list.find((x) => x.name === tr.dataset.key);
      if (trunk) fillState(tr, trunk);
    }
  } catch (_) {
    // The next tick tries again; a change shows its own errors.
  }
}

function carrier(trunk) {
  const port = trunk.port ? `:${trunk.port}` : '';
  return `${trunk.host}${port} (${String(trunk.transport || 'udp').toUpperCase()})`;
}

function registrationText(status) {
  if (!status) return '—';
  const text = human('registration', status.registration);
  if (status.registration === 'registered' && status.expires_in_s !== undefined) {
    return `${text} · ${t('admin.trunk_expires', { time: duration(status.expires_in_s) })}`;
  }
  return text;
}

/** The state cells of a trunk's row: words with the colour class, never the colour alone. */
function fillState(tr, trunk) {
  const s = trunk.status;
  const cell = (col) => tr.querySelector(`[data-col="${col}"]`);
  cell('registration').textContent = registrationText(s);
  cell('registration').dataset.value = s ? s.registration : '';
  cell('health').textContent = s ? human('health', s.health) : '—';
  cell('health').dataset.value = s ? s.health : '';
  cell('health').className = s ? `health-${s.health}` : '';
  cell('channels').textContent = !s
    ? '—'
    : trunk.max_channels
      ? t('admin.trunk_channels_of', { used: number(s.channels), max: number(trunk.max_channels) })
      : number(s.channels);
  cell('calls').textContent = s ? t('admin.trunk_calls_value', { in: number(s.calls_in), out: number(s.calls_out) }) : '—';
}

export function drawTrunks() {
  const list = trunks.list;
  $('trunks-forbidden').hidden = list !== null;
  $('trunks-admin').hidden = list === null;
  fillChoices();
  $('trunk-none').hidden = !list || list.length > 0;
  $('trunk-list').querySelector('tbody').replaceChildren(
    ...(list || []).map((trunk) => {
      const edit = el('button', { type: 'button', text: t('admin.edit') });
      edit.setAttribute('aria-label', t('admin.edit_trunk', { name: trunk.name }));
      edit.addEventListener('click', () => openForm(trunk));
      const remove = el('button', { type: 'button', className: 'danger', text: t('admin.remove') });
      remove.setAttribute('aria-label', t('admin.remove_trunk', { name: trunk.name }));
      remove.addEventListener('click', () => removeTrunk(trunk.name));
      const tr = el('tr', { 'data-key': trunk.name },
        el('th', { scope: 'row', text: trunk.name }),
        el('td', { text: carrier(trunk) }),
        ...['registration', 'health', 'channels', 'calls'].map((col) => el('td', { 'data-col': col })),
        el('td', {}, el('div', { className: 'buttons' }, edit, remove)));
      fillState(tr, trunk);
      return tr;
    }),
  );
  $('did-none').hidden = !list || trunks.dids.length > 0;
  $('did-list').querySelector('tbody').replaceChildren(
    ...(list ? trunks.dids : []).map((d) => {
      const kind = DID_KINDS.find((k) => d[k]) || 'route';
      const edit = el('button', { type: 'button', text: t('admin.edit') });
      edit.setAttribute('aria-label', t('admin.edit_did', { number: d.number }));
      edit.addEventListener('click', () => openDidForm(d));
      const remove = el('button', { type: 'button', className: 'danger', text: t('admin.remove') });
      remove.setAttribute('aria-label', t('admin.remove_did', { number: d.number }));
      remove.addEventListener('click', () => removeDid(d.number));
      return el('tr', { 'data-key': d.number },
        el('th', { scope: 'row', text: d.number }),
        el('td', { text: t(`did.${kind}`, { target: d[kind] }) }),
        el('td', {}, el('div', { className: 'buttons' }, edit, remove)));
    }),
  );
  if (trunks.editing !== null) $('trunk-form-title').textContent = trunkTitle();
  if (trunks.didEditing !== null) $('did-form-title').textContent = didTitle();
  if (trunks.editing !== null) passwordHelp();
}

function fillChoices() {
  const keep = (id, options) => {
    const select = $(id);
    const chosen = select.value;
    select.replaceChildren(...options.map(([value, text]) => el('option', { value, text })));
    if (options.some(([v]) => v === chosen)) select.value = chosen;
  };
  keep('t-transport', [['udp', 'UDP'], ['tcp', 'TCP']]);
  keep('t-number_format', [
    ['', t('admin.default_choice', { value: human('number_format', 'e164') })],
    ['e164', human('number_format', 'e164')],
    ['national', human('number_format', 'national')],
  ]);
  keep('d-kind', DID_KINDS.map((k) => [k, human('did_kind', k)]));
}

// ---- the trunk form ----

const trunkTitle = () => (trunks.editing ? t('admin.trunk_edit_title', { name: trunks.editing }) : t('admin.trunk_new'));

function passwordHelp() {
  const trunk = trunks.editing ? (trunks.list || []).find((x) => x.name === trunks.editing) : null;
  const key = !trunk ? 'admin.trunk_password_new' : trunk.password_set ? 'admin.trunk_password_set' : 'admin.trunk_password_unset';
  $('t-password-help').textContent = t(key);
}

function openForm(trunk) {
  trunks.editing = trunk ? trunk.name : '';
  for (const f of FIELDS) {
    if (f === 'register') continue;
    const v = trunk ? trunk[f] : undefined;
    $(`t-${f}`).value = v === undefined || v === null ? '' : Array.isArray(v) ? v.join(', ') : String(v);
  }
  $('t-password').value = '';
  $('t-transport').value = trunk && trunk.transport ? trunk.transport : 'udp';
  $('t-register').checked = Boolean(trunk && trunk.register);
  $('t-name').readOnly = Boolean(trunk);
  clearErrors('t', FIELDS, 'trunk-form-error');
  $('trunk-form-title').textContent = trunkTitle();
  passwordHelp();
  $('trunk-form').hidden = false;
  $(trunk ? 't-host' : 't-name').focus();
}

function closeForm() {
  trunks.editing = null;
  $('trunk-form').hidden = true;
  $('trunk-new').focus();
}

/** The form over the trunk as read (keys the form lacks stay), blank fields left out. */
function trunkBody() {
  const current = trunks.editing ? (trunks.list || []).find((x) => x.name === trunks.editing) : null;
  const body = current ? { ...current } : {};
  delete body.status;
  delete body.password_set;
  for (const f of FIELDS) {
    if (f === 'register') {
      body.register = $('t-register').checked;
      continue;
    }
    const raw = $(`t-${f}`).value.trim();
    if (raw === '') delete body[f];
    else if (f === 'sources') body.sources = raw.split(',').map((x) => x.trim()).filter(Boolean);
    else body[f] = NUMERIC.has(f) && /^\d+$/.test(raw) ? Number(raw) : raw;
  }
  return body;
}

async function saveTrunk(event) {
  event.preventDefault();
  clearErrors('t', FIELDS, 'trunk-form-error');
  const editing = trunks.editing;
  const body = trunkBody();
  $('trunk-save').disabled = true;
  try {
    if (editing) await api('PUT', `/api/trunks/${encodeURIComponent(editing)}`, body);
    else await api('POST', '/api/trunks', body);
    say(t(editing ? 'admin.trunk_saved' : 'admin.trunk_created', { name: body.name }), 'info');
    closeForm();
    await trunks.reload();
  } catch (e) {
    showErrors('t', FIELDS, 'trunk-form-error', e);
  } finally {
    $('trunk-save').disabled = false;
  }
}

async function removeTrunk(name) {
  if (!window.confirm(t('admin.remove_trunk_confirm', { name }))) return;
  try {
    await api('DELETE', `/api/trunks/${encodeURIComponent(name)}`);
    say(t('admin.trunk_removed', { name }), 'info');
    await trunks.reload();
    $('trunk-new').focus();
  } catch (e) {
    say(explain(e), 'error');
  }
}

// ---- the DID form ----

const didTitle = () => (trunks.didEditing ? t('admin.did_edit_title', { number: trunks.didEditing }) : t('admin.did_new'));

function openDidForm(did) {
  trunks.didEditing = did ? did.number : '';
  const kind = did ? DID_KINDS.find((k) => did[k]) || 'route' : 'queue';
  $('d-number').value = did ? did.number : '';
  $('d-number').readOnly = Boolean(did);
  $('d-kind').value = kind;
  $('d-target').value = did ? did[kind] || '' : '';
  clearErrors('d', DID_FIELDS, 'did-form-error');
  $('did-form-title').textContent = didTitle();
  $('did-form').hidden = false;
  $(did ? 'd-target' : 'd-number').focus();
}

function closeDidForm() {
  trunks.didEditing = null;
  $('did-form').hidden = true;
  $('did-new').focus();
}

/** The API names the target by its kind (`queue`): shown at the page's one target field. */
function asTargetErrors(e) {
  if (!(e instanceof ApiError) || !e.data || !Array.isArray(e.data.errors)) return e;
  const errors = e.data.errors.map((x) => (DID_KINDS.includes(x.field) ? { ...x, field: 'target' } : x));
  return new ApiError(e.status, e.detail, e.retryAfter, { ...e.data, errors });
}

async function saveDid(event) {
  event.preventDefault();
  clearErrors('d', DID_FIELDS, 'did-form-error');
  const editing = trunks.didEditing;
  const numberText = $('d-number').value.trim();
  const body = { number: numberText, [$('d-kind').value]: $('d-target').value.trim() };
  $('did-save').disabled = true;
  try {
    if (editing) await api('PUT', `/api/dids/${encodeURIComponent(editing)}`, body);
    else await api('POST', '/api/dids', body);
    say(t(editing ? 'admin.did_saved' : 'admin.did_created', { number: numberText }), 'info');
    closeDidForm();
    await trunks.reload();
  } catch (e) {
    showErrors('d', DID_FIELDS, 'did-form-error', asTargetErrors(e));
  } finally {
    $('did-save').disabled = false;
  }
}

async function removeDid(numberText) {
  if (!window.confirm(t('admin.remove_did_confirm', { number: numberText }))) return;
  try {
    await api('DELETE', `/api/dids/${encodeURIComponent(numberText)}`);
    say(t('admin.did_removed', { number: numberText }), 'info');
    await trunks.reload();
    $('did-new').focus();
  } catch (e) {
    say(explain(e), 'error');
  }
}

/** Wire the section's buttons; `reload` reads the whole page again after a change. */
export function wireTrunks(reload) {
  trunks.reload = reload;
  $('trunk-new').addEventListener('click', () => openForm(null));
  $('trunk-cancel').addEventListener('click', closeForm);
  $('trunk-form').addEventListener('submit', saveTrunk);
  $('did-new').addEventListener('click', () => openDidForm(null));
  $('did-cancel').addEventListener('click', closeDidForm);
  $('did-form').addEventListener('submit', saveDid);
}
