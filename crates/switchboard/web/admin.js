// Administration in the browser, through the same API (and so the same checks and audit log)
// as scripts: extensions (`admin-users.js`), queues (here), agents and their queues
// (`admin-agents.js`), the dialplan reload with the check's errors (here), and accounts
// (`admin-accounts.js`), trunks and DIDs (`admin-trunks.js`). Each section says whether its changes apply at once or need a restart.
'use strict';

import { $, api, explain, say, startPage, el, ApiError } from '/app.js';
import { clearErrors, showErrors } from '/admin-form.js';
import { drawUsers, forgetUsers, loadUsers, wireUsers } from '/admin-users.js';
import { drawAgents, forgetAgents, loadAgents, wireAgents } from '/admin-agents.js';
import { drawAccounts, forgetAccounts, loadAccounts, wireAccounts } from '/admin-accounts.js';
import { drawTrunks, forgetTrunks, loadTrunks, wireTrunks } from '/admin-trunks.js';
import { t, human, number } from '/i18n.js';

const STRATEGIES = ['longest-idle', 'round-robin', 'fewest-calls', 'least-talk-time', 'ring-all', 'linear', 'random'];
/** The queue form's fields, as the API names them (`q-<field>` in the page). */
const FIELDS = ['name', 'number', 'strategy', 'ring_timeout_s', 'wrap_up_s', 'max_wait_s', 'overflow', 'service_level_s', 'service_level_target'];
const NUMERIC = new Set(['ring_timeout_s', 'wrap_up_s', 'max_wait_s', 'service_level_s', 'service_level_target']);

const admin = { queues: [], definitions: new Map(), editing: null, reload: null };

const page = {
  titleKey: 'admin.title',
  loginKey: 'login.title_board',
  allows: (who) => who.role === 'admin' || who.role === 'supervisor',
  open: load,
  close: () => {
    Object.assign(admin, { queues: [], editing: null, reload: null });
    forgetUsers();
    forgetAgents();
    forgetAccounts();
    forgetTrunks();
  },
  relabel: draw,
};

async function load() {
  try {
    const [queues, agents] = await Promise.all([api('GET', '/api/queues'), api('GET', '/api/agents')]);
    admin.queues = queues;
    const definitions = await Promise.all(
      queues.map((q) => api('GET', `/api/queues/${encodeURIComponent(q.name)}/definition`)),
    );
    admin.definitions = new Map(queues.map((q, i) => [q.name, definitions[i]]));
    await Promise.all([loadAgents(agents, queues.map((q) => q.name)), loadUsers(), loadAccounts(), loadTrunks()]);
  } catch (e) {
    say(explain(e), 'error');
  }
  draw();
}

function draw() {
  fillStrategies();
  drawUsers();
  drawQueues();
  drawAgents();
  drawAccounts();
  drawTrunks();
  drawReload();
  if (admin.editing !== null) $('queue-form-title').textContent = formTitle();
}

// ---- queues ----

function fillStrategies() {
  const select = $('q-strategy');
  const chosen = select.value;
  select.replaceChildren(
    el('option', { value: '', text: t('admin.default_choice', { value: human('strategy', 'longest-idle') }) }),
    ...STRATEGIES.map((s) => el('option', { value: s, text: human('strategy', s) })),
  );
  select.value = chosen;
}

function drawQueues() {
  $('queue-list').querySelector('tbody').replaceChildren(
    ...admin.queues.map((q) => {
      const def = admin.definitions.get(q.name) || {};
      const edit = el('button', { type: 'button', text: t('admin.edit') });
      edit.setAttribute('aria-label', t('admin.edit_queue', { name: q.name }));
      edit.addEventListener('click', () => openForm(q.name));
      const remove = el('button', { type: 'button', className: 'danger', text: t('admin.remove') });
      remove.setAttribute('aria-label', t('admin.remove_queue', { name: q.name }));
      remove.addEventListener('click', () => removeQueue(q.name));
      return el('tr', { 'data-key': q.name },
        el('th', { scope: 'row', text: q.name }),
        el('td', { text: q.number || '—' }),
        el('td', { text: human('strategy', def.strategy || 'longest-idle') }),
        el('td', { text: number(q.agents_logged_in) }),
        el('td', {}, el('div', { className: 'buttons' }, edit, remove)));
    }),
  );
}

const formTitle = () => (admin.editing ? t('admin.queue_edit_title', { name: admin.editing }) : t('admin.queue_new'));

function openForm(name) {
  admin.editing = name;
  const def = name ? admin.definitions.get(name) || {} : {};
  for (const f of FIELDS) $(`q-${f}`).value = def[f] === undefined ? '' : String(def[f]);
  $('q-name').readOnly = Boolean(name);
  clearQueueErrors();
  $('queue-form-title').textContent = formTitle();
  $('queue-form').hidden = false;
  $(name ? 'q-number' : 'q-name').focus();
}

function closeForm() {
  admin.editing = null;
  $('queue-form').hidden = true;
  $('queue-new').focus();
}

const clearQueueErrors = () => clearErrors('q', FIELDS, 'queue-form-error');

/** The form as an API body: blank fields left out (create) or reset to the default (edit). */
function formBody() {
  const body = {};
  for (const f of FIELDS) {
    const raw = $(`q-${f}`).value.trim();
    if (raw === '') {
      if (admin.editing && f !== 'name') body[f] = null;
    } else {
      body[f] = NUMERIC.has(f) ? Number(raw) : raw;
    }
  }
  if (admin.editing) delete body.name;
  return body;
}

async function saveQueue(event) {
  event.preventDefault();
  clearQueueErrors();
  const name = admin.editing;
  $('queue-save').disabled = true;
  try {
    if (name) await api('PATCH', `/api/queues/${encodeURIComponent(name)}`, formBody());
    else await api('POST', '/api/queues', formBody());
    say(t(name ? 'admin.queue_saved' : 'admin.queue_created', { name: name || $('q-name').value.trim() }), 'info');
    closeForm();
    await load();
  } catch (e) {
    showErrors('q', FIELDS, 'queue-form-error', e);
  } finally {
    $('queue-save').disabled = false;
  }
}

async function removeQueue(name) {
  if (!window.confirm(t('admin.remove_confirm', { name }))) return;
  try {
    await api('DELETE', `/api/queues/${encodeURIComponent(name)}`);
    say(t('admin.queue_removed', { name }), 'info');
    await load();
    $('queue-new').focus();
  } catch (e) {
    say(explain(e), 'error');
  }
}

// ---- dialplans ----

async function reload() {
  $('reload').disabled = true;
  try {
    const done = await api('POST', '/api/dialplans/reload');
    admin.reload = { ok: true, plans: done.plans };
  } catch (e) {
    const errors = e instanceof ApiError && e.data && Array.isArray(e.data.errors) ? e.data.errors : [explain(e)];
    admin.reload = { ok: false, errors };
  } finally {
    $('reload').disabled = false;
  }
  drawReload();
}

function drawReload() {
  const box = $('reload-result');
  const r = admin.reload;
  if (!r) {
    box.replaceChildren();
    return;
  }
  if (r.ok) {
    box.replaceChildren(el('p', { className: 'message info', 'data-result': 'reloaded',
      text: t('admin.reloaded', { count: number(r.plans) }) }));
    return;
  }
  box.replaceChildren(
    el('p', { className: 'message error', 'data-result': 'refused', text: t('admin.reload_refused') }),
    el('ul', { className: 'reload-errors' }, ...r.errors.map((line) => el('li', {}, el('code', { text: line })))),
  );
}

// ---- start ----

$('queue-new').addEventListener('click', () => openForm(null));
$('queue-cancel').addEventListener('click', closeForm);
$('queue-form').addEventListener('submit', saveQueue);
$('reload').addEventListener('click', reload);
wireUsers(load);
wireAgents(load);
wireAccounts(load);
wireTrunks(load);
startPage(page);
