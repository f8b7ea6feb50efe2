// The admin page's accounts: listed (roles by name, where each is defined), created with a
// role and a first password, given another role, disabled or enabled, or a new password,
// through /api/accounts. Supervisors and admins may have a monitoring phone (an extension of
// the directory; set at creation or on the row, empty clears it). Accounts of the
// configuration file are shown but changed there. Administrators only.
'use strict';

import { $, api, explain, say, session, el } from '/app.js';
import { t, human } from '/i18n.js';
import { clearErrors, showErrors } from '/admin-form.js';

const ROLES = ['admin', 'supervisor', 'qa', 'agent'];
const FIELDS = ['username', 'role', 'agent', 'extension', 'password'];
const MONITORS = ['admin', 'supervisor'];
const accounts = { list: null, resetting: null, reload: async () => {} };

/** Read the accounts (administrators only). */
export async function loadAccounts() {
  accounts.list = session.who && session.who.role === 'admin' ? await api('GET', '/api/accounts') : null;
}

export function forgetAccounts() {
  accounts.list = null;
  accounts.resetting = null;
}

export function drawAccounts() {
  const list = accounts.list;
  $('accounts-forbidden').hidden = list !== null;
  $('accounts-admin').hidden = list === null;
  fillRoles();
  $('account-list').querySelector('tbody').replaceChildren(...(list || []).map(row));
  if (accounts.resetting) $('password-form-title').textContent = t('admin.account_password_of', { user: accounts.resetting });
}

function fillRoles() {
  const select = $('ac-role');
  const chosen = select.value || 'supervisor';
  select.replaceChildren(...ROLES.map((r) => el('option', { value: r, text: human('role', r) })));
  select.value = chosen;
}

function row(a) {
  const fromApi = a.managed_by === 'api';
  const actions = el('div', { className: 'buttons' });
  if (fromApi && a.username !== session.who.username) {
    if (a.role !== 'agent') {
      const select = el('select', { className: 'role-select' },
        ...ROLES.filter((r) => r !== 'agent').map((r) => el('option', { value: r, text: human('role', r) })));
      select.value = a.role;
      select.setAttribute('aria-label', t('admin.account_role_of', { user: a.username }));
      const apply = el('button', { type: 'button', text: t('admin.account_change_role') });
      apply.setAttribute('aria-label', t('admin.account_change_role_of', { user: a.username }));
      apply.addEventListener('click', () => change(a.username, { role: select.value }, 'admin.account_role_saved'));
      actions.append(select, apply);
    }
    if (MONITORS.includes(a.role)) actions.append(...phoneEditor(a));
    const toggle = el('button', { type: 'button', className: a.disabled ? '' : 'danger',
      text: t(a.disabled ? 'admin.account_enable' : 'admin.account_disable') });
    toggle.setAttribute('aria-label', t(a.disabled ? 'admin.account_enable_of' : 'admin.account_disable_of', { user: a.username }));
    toggle.addEventListener('click', () =>
      change(a.username, { disabled: !a.disabled }, a.disabled ? 'admin.account_enabled' : 'admin.account_disabled'));
    const reset = el('button', { type: 'button', text: t('admin.account_reset') });
    reset.setAttribute('aria-label', t('admin.account_reset_of', { user: a.username }));
    reset.addEventListener('click', () => openPassword(a.username));
    actions.append(toggle, reset);
  } else {
    actions.append(el('span', { className: 'muted small',
      text: t(fromApi ? 'admin.account_yours' : 'admin.account_in_file') }));
  }
  return el('tr', { 'data-key': a.username },
    el('th', { scope: 'row', text: a.username }),
    el('td', { text: human('role', a.role) }),
    el('td', { text: a.agent || '—' }),
    el('td', { text: a.extension || '—' }),
    el('td', { text: t(a.disabled ? 'admin.disabled' : 'admin.active') }),
    el('td', { text: t(a.bearer_token ? 'admin.token_yes' : 'admin.token_no') }),
    el('td', { text: t(fromApi ? 'admin.source_api' : 'admin.source_file') }),
    el('td', {}, actions));
}

/** The row's monitoring phone: an input and a button that sets it (empty clears it). */
function phoneEditor(a) {
  const input = el('input', { className: 'phone-input', value: a.extension || '', size: 6 });
  input.setAttribute('inputmode', 'numeric');
  input.setAttribute('aria-label', t('accounts.monitor_of', { user: a.username }));
  const set = el('button', { type: 'button', text: t('accounts.monitor_set') });
  set.setAttribute('aria-label', t('accounts.monitor_set_of', { user: a.username }));
  set.addEventListener('click', () => {
    const extension = input.value.trim() || null;
    change(a.username, { extension }, extension ? 'accounts.monitor_saved' : 'accounts.monitor_cleared');
  });
  return [input, set];
}

async function change(username, body, doneKey) {
  try {
    await api('PATCH', `/api/accounts/${encodeURIComponent(username)}`, body);
    say(t(doneKey, { user: username }), 'info');
    await accounts.reload();
  } catch (e) {
    say(explain(e), 'error');
  }
}

function openPassword(username) {
  accounts.resetting = username;
  $('pw-password').value = '';
  clearErrors('pw', ['password'], 'password-form-error');
  $('password-form-title').textContent = t('admin.account_password_of', { user: username });
  $('password-form').hidden = false;
  $('pw-password').focus();
}

function closePassword() {
  accounts.resetting = null;
  $('password-form').hidden = true;
}

async function savePassword(event) {
  event.preventDefault();
  clearErrors('pw', ['password'], 'password-form-error');
  const username = accounts.resetting;
  try {
    await api('POST', `/api/accounts/${encodeURIComponent(username)}/password`, { password: $('pw-password').value });
    say(t('admin.account_password_saved', { user: username }), 'info');
    closePassword();
    await accounts.reload();
  } catch (e) {
    showErrors('pw', ['password'], 'password-form-error', e);
  }
}

function openCreate() {
  for (const f of FIELDS) if (f !== 'role') $(`ac-${f}`).value = '';
  clearErrors('ac', FIELDS, 'account-form-error');
  $('account-form').hidden = false;
  $('ac-username').focus();
}

function closeCreate() {
  $('account-form').hidden = true;
  $('account-new').focus();
}

async function create(event) {
  event.preventDefault();
  clearErrors('ac', FIELDS, 'account-form-error');
  const body = {
    username: $('ac-username').value.trim(),
    role: $('ac-role').value,
    agent: $('ac-agent').value.trim() || null,
    extension: $('ac-extension').value.trim() || null,
    password: $('ac-password').value,
  };
  $('account-save').disabled = true;
  try {
    await api('POST', '/api/accounts', body);
    say(t('admin.account_created', { user: body.username }), 'info');
    closeCreate();
    await accounts.reload();
  } catch (e) {
    showErrors('ac', FIELDS, 'account-form-error', e);
  } finally {
    $('account-save').disabled = false;
  }
}

/** Wire the section's buttons; `reload` reads the whole page again after a change. */
export function wireAccounts(reload) {
  accounts.reload = reload;
  $('account-new').addEventListener('click', openCreate);
  $('account-cancel').addEventListener('click', closeCreate);
  $('account-form').addEventListener('submit', create);
  $('password-cancel').addEventListener('click', closePassword);
  $('password-form').addEventListener('submit', savePassword);
}
