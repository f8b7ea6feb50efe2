// The admin page's forms: the API's field errors shown next to their fields (`<prefix>-<field>`
// and `<prefix>-<field>-error` in the page, the field marked invalid and the first one
// focused), the others above the form's buttons.
'use strict';

import { $, explain, ApiError } from '/app.js';
import { t } from '/i18n.js';

/** Hide every error of a form. */
export function clearErrors(prefix, fields, generalId) {
  for (const f of fields) {
    $(`${prefix}-${f}-error`).hidden = true;
    $(`${prefix}-${f}`).removeAttribute('aria-invalid');
  }
  $(generalId).hidden = true;
}

/** Show an API refusal: `{"errors": [{field, message}]}` by field (`queues[0]` goes to
 * `queues`), anything else as one message. */
export function showErrors(prefix, fields, generalId, e) {
  const list = e instanceof ApiError && e.data && Array.isArray(e.data.errors) ? e.data.errors : null;
  if (!list) {
    $(generalId).textContent = explain(e);
    $(generalId).hidden = false;
    return;
  }
  const other = [];
  let first = null;
  for (const { field, message } of list) {
    const key = String(field || '').split(/[.[]/)[0];
    if (fields.includes(key)) {
      $(`${prefix}-${key}-error`).textContent = message;
      $(`${prefix}-${key}-error`).hidden = false;
      $(`${prefix}-${key}`).setAttribute('aria-invalid', 'true');
      first = first || $(`${prefix}-${key}`);
    } else {
      other.push(field ? `${field}: ${message}` : message);
    }
  }
  if (other.length) {
    $(generalId).textContent = t('admin.refused', { detail: other.join('; ') });
    $(generalId).hidden = false;
  }
  if (first) first.focus();
}
