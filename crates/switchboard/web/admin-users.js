// The admin page's extensions (SIP users): listed with their registered phones, added,
// changed (name, new SIP password) and removed through /api/users, live. Administrators only;
// the SIP password is write-only (never shown, blank keeps it).
'use strict';

import { $, api, explain, say, session, el } from '/app.js';
import { t, number } from '/i18n.js';
import { clearErrors, showErrors } from '/admin-form.js';

const FIELDS = ['extension', 'name', 'password'];
const users = { list: null, editing: null, reload: async () => {} };

const mayManage = () => session.who && session.who.role === 'admin';

/** Read the extensions (administrators only). */
export async function loadUsers() {
  users.list = mayManage() ? await api('GET', '/api/users') : null;
}

export function forgetUsers() {
  users.list = null;
  users.editing = null;
}

export function drawUsers() {
  const list = users.list;
  $('users-forbidden').hidden = list !== null;
  $('users-admin').hidden = list === null;
  $('user-list').querySelector('tbody').replaceChildren(
    ...(list || []).map((u) => {
      const edit = el('button', { type: 'button', text: t('admin.edit') });
      edit.setAttribute('aria-label', t('admin.edit_user', { extension: u.extension }));
      edit.addEventListener('click', () => openForm(u));
      const remove = el('button', { type: 'button', className: 'danger', text: t('admin.remove') });
      remove.setAttribute('aria-label', t('admin.remove_user', { extension: u.extension }));
      remove.addEventListener('click', () => removeUser(u.extension));
      return el('tr', { 'data-key': u.extension },
        el('th', { scope: 'row', text: u.extension }),
        el('td', { text: u.name || '—' }),
        el('td', { text: number(u.registered) }),
        el('td', { text: t(u.source === 'api' ? 'admin.source_api' : 'admin.source_file') }),
        el('td', {}, el('div', { className: 'buttons' }, edit, remove)));
    }),
  );
  if (users.editing !== null) $('user-form-title').textContent = formTitle();
}

const formTitle = () =>
  users.editing ? t('admin.user_edit_title', { extension: users.editing }) : t('admin.user_new');

function openForm(user) {
  users.editing = user ? user.extension : '';
  $('u-extension').value = user ? user.extension : '';
  $('u-extension').readOnly = Boolean(user);
  $('u-name').value = user && user.name ? user.name : '';
  $('u-password').value = '';
  clearErrors('u', FIELDS, 'user-form-error');
  $('user-form-title').textContent = formTitle();
  $('user-form').hidden = false;
  $(user ? 'u-name' : 'u-extension').focus();
}

function closeForm() {
  users.editing = null;
  $('user-form').hidden = true;
  $('user-new').focus();
}

async function saveUser(event) {
  event.preventDefault();
  clearErrors('u', FIELDS, 'user-form-error');
  const editing = users.editing;
  const extension = $('u-extension').value.trim();
  const body = { extension, name: $('u-name').value.trim() || null };
  const password = $('u-password').value;
  if (password !== '' || !editing) body.password = password;
  $('user-save').disabled = true;
  try {
    if (editing) await api('PUT', `/api/users/${encodeURIComponent(editing)}`, body);
    else await api('POST', '/api/users', body);
    say(t(editing ? 'admin.user_saved' : 'admin.user_created', { extension }), 'info');
    closeForm();
    await users.reload();
  } catch (e) {
    showErrors('u', FIELDS, 'user-form-error', e);
  } finally {
    $('user-save').disabled = false;
  }
}

async function removeUser(extension) {
  if (!window.confirm(t('admin.remove_user_confirm', { extension }))) return;
  try {
    await api('DELETE', `/api/users/${encodeURIComponent(extension)}`);
    say(t('admin.user_removed', { extension }), 'info');
    await users.reload();
    $('user-new').focus();
  } catch (e) {
    say(explain(e), 'error');
  }
}

/** Wire the section's buttons; `reload` reads the whole page again after a change. */
export function wireUsers(reload) {
  users.reload = reload;
  $('user-new').addEventListener('click', () => openForm(null));
  $('user-cancel').addEventListener('click', closeForm);
  $('user-form').addEventListener('submit', saveUser);
}
