// The admin page's agents: created, changed (name, extension, skills, PIN, queues with their
// weights) and removed through /api/agents, live; and each agent's queues ticked on or off
// through /api/agents/{id}/queues, keeping the weights of the queues the agent keeps. The PIN
// is write-only (blank keeps it). Administrators and supervisors.
'use strict';

import { $, api, explain, say, el } from '/app.js';
import { t } from '/i18n.js';
import { clearErrors, showErrors } from '/admin-form.js';

const FIELDS = ['id', 'name', 'extension', 'skills', 'pin', 'queues'];
const agents = { list: [], queues: [], definitions: new Map(), editing: null, reload: async () => {} };

/** Read each agent's settings (queues with weights, skills, whether a PIN is set). */
export async function loadAgents(list, queueNames) {
  const definitions = await Promise.all(
    list.map((a) => api('GET', `/api/agents/${encodeURIComponent(a.id)}/definition`)),
  );
  Object.assign(agents, {
    list,
    queues: queueNames,
    definitions: new Map(list.map((a, i) => [a.id, definitions[i]])),
  });
}

export function forgetAgents() {
  Object.assign(agents, { list: [], queues: [], definitions: new Map(), editing: null });
}

export function drawAgents() {
  $('agent-list').replaceChildren(...agents.list.map(memberships));
  if (agents.editing !== null) {
    $('agent-form-title').textContent = formTitle();
    $('a-pin-help').textContent = pinHelp();
  }
}

/** One agent's queue checkboxes, with Edit and Remove. */
function memberships(a) {
  const label = a.name ? `${a.name} (${a.id})` : a.id;
  const def = agents.definitions.get(a.id) || {};
  const current = new Set((def.queues || []).map((m) => m.queue));
  const form = el('form', { className: 'agent-queues', 'data-agent': a.id });
  const save = el('button', { type: 'submit', text: t('admin.save_queues') });
  save.setAttribute('aria-label', t('admin.save_queues_of', { agent: a.name || a.id }));
  const edit = el('button', { type: 'button', text: t('admin.edit') });
  edit.setAttribute('aria-label', t('admin.edit_agent', { agent: label }));
  edit.addEventListener('click', () => openForm(a.id));
  const remove = el('button', { type: 'button', className: 'danger', text: t('admin.remove') });
  remove.setAttribute('aria-label', t('admin.remove_agent', { agent: label }));
  remove.addEventListener('click', () => removeAgent(a.id));
  form.append(el('fieldset', {},
    el('legend', { text: label }),
    el('div', { className: 'checks' },
      ...agents.queues.map((q) => {
        const box = el('input', { type: 'checkbox', value: q, checked: current.has(q) });
        return el('label', { className: 'check' }, box, ` ${q}`);
      })),
    el('div', { className: 'buttons' }, save, edit, remove)));
  form.addEventListener('submit', (event) => saveMemberships(event, a.id, form));
  return form;
}

async function saveMemberships(event, agent, form) {
  event.preventDefault();
  const kept = new Map(((agents.definitions.get(agent) || {}).queues || []).map((m) => [m.queue, m]));
  const queues = Array.from(form.querySelectorAll('input:checked'), (box, order) => ({
    queue: box.value,
    weight: kept.has(box.value) ? kept.get(box.value).weight : 0,
    order,
  }));
  try {
    await api('PUT', `/api/agents/${encodeURIComponent(agent)}/queues`, { queues });
    say(t('admin.memberships_saved', { agent }), 'info');
    await agents.reload();
  } catch (e) {
    say(explain(e), 'error');
  }
}

const formTitle = () =>
  agents.editing ? t('admin.agent_edit_title', { agent: agents.editing }) : t('admin.agent_new');

const pinHelp = () => {
  const def = agents.editing ? agents.definitions.get(agents.editing) || {} : {};
  return t(def.has_pin ? 'admin.agent_pin_set' : 'admin.agent_pin_help');
};

/** The queue rows of the agent form: a checkbox and a weight per queue. */
function queueRows(def) {
  const member = new Map((def.queues || []).map((m) => [m.queue, m]));
  $('a-queue-rows').replaceChildren(
    ...agents.queues.map((q, i) => {
      const id = `a-queue-${i}`;
      const box = el('input', { type: 'checkbox', id, value: q, checked: member.has(q) });
      const weight = el('input', { type: 'number', id: `${id}-weight`, min: 0, className: 'weight',
        value: String(member.has(q) ? member.get(q).weight : 0) });
      weight.dataset.queue = q;
      return el('div', { className: 'queue-weight' },
        el('label', { className: 'check', htmlFor: id }, box, ` ${q}`),
        el('label', { htmlFor: `${id}-weight`, text: t('admin.agent_weight_of', { queue: q }) }),
        weight);
    }),
  );
}

function openForm(id) {
  agents.editing = id || '';
  const def = id ? agents.definitions.get(id) || {} : {};
  $('a-id').value = def.id || '';
  $('a-id').readOnly = Boolean(id);
  $('a-name').value = def.name || '';
  $('a-extension').value = def.extension || '';
  $('a-skills').value = def.skills || '';
  $('a-pin').value = '';
  $('a-pin-help').textContent = pinHelp();
  queueRows(def);
  clearErrors('a', FIELDS, 'agent-form-error');
  $('agent-form-title').textContent = formTitle();
  $('agent-form').hidden = false;
  $(id ? 'a-name' : 'a-id').focus();
}

function closeForm() {
  agents.editing = null;
  $('agent-form').hidden = true;
  $('agent-new').focus();
}

/** The form as an API body; a blank PIN is left out (kept when editing). */
function formBody() {
  const text = (id) => $(id).value.trim() || null;
  const body = { id: text('a-id'), name: text('a-name'), extension: text('a-extension'), skills: text('a-skills') };
  if ($('a-pin').value !== '') body.pin = $('a-pin').value;
  body.queues = Array.from($('a-queue-rows').querySelectorAll('input[type="checkbox"]:checked'), (box, order) => ({
    queue: box.value,
    weight: Number($(`${box.id}-weight`).value) || 0,
    order,
  }));
  return body;
}

async function saveAgent(event) {
  event.preventDefault();
  clearErrors('a', FIELDS, 'agent-form-error');
  const editing = agents.editing;
  const body = formBody();
  $('agent-save').disabled = true;
  try {
    if (editing) await api('PUT', `/api/agents/${encodeURIComponent(editing)}`, body);
    else await api('POST', '/api/agents', body);
    say(t(editing ? 'admin.agent_saved' : 'admin.agent_created', { agent: body.id || '' }), 'info');
    closeForm();
    await agents.reload();
  } catch (e) {
    showErrors('a', FIELDS, 'agent-form-error', e);
  } finally {
    $('agent-save').disabled = false;
  }
}

async function removeAgent(id) {
  if (!window.confirm(t('admin.remove_agent_confirm', { agent: id }))) return;
  try {
    await api('DELETE', `/api/agents/${encodeURIComponent(id)}`);
    say(t('admin.agent_removed', { agent: id }), 'info');
    await agents.reload();
    $('agent-new').focus();
  } catch (e) {
    say(explain(e), 'error');
  }
}

/** Wire the section's buttons; `reload` reads the whole page again after a change. */
export function wireAgents(reload) {
  agents.reload = reload;
  $('agent-new').addEventListener('click', () => openForm(null));
  $('agent-cancel').addEventListener('click', closeForm);
  $('agent-form').addEventListener('submit', saveAgent);
}
