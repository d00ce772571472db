// Small DOM helpers: every value becomes text, never markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Status as symbol and word (never colour alone); the colour class only adds to it. */
export const STATUS = {
  healthy: ['✔', 'Healthy'], degraded: ['▲', 'Degraded'], split: ['⚠', 'Split'],
  offline: ['✖', 'Offline'], pending: ['…', 'Pending'],
};

export function siteStatus(site) {
  return site.nodesTotal === 0 ? 'pending' : site.status;
}

export function badge(status) {
  const [icon, word] = STATUS[status] || ['?', status];
  return h('span', { class: `badge s-${status}` }, h('span', { 'aria-hidden': 'true' }, icon + ' '), word);
}

export function when(t) {
  if (!t) return '—';
  const d = new Date(t);
  const s = Math.round((Date.now() - d.getTime()) / 1000);
  const ago = Math.abs(s) < 90 ? `${s} s` : Math.abs(s) < 5400 ? `${Math.round(s / 60)} min` : Math.abs(s) < 172800
    ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86400)} d`;
  return h('time', { datetime: t, title: t }, s >= 0 ? `${ago} ago` : `in ${ago.replace('-', '')}`);
}

export function problem(e) {
  return h('p', { class: 'error', role: 'alert' }, e.status ? `${e.status}: ${e.message}` : String(e.message || e));
}

/**
 * Asks before an action, naming what will happen; resolves to the reason typed (possibly empty) or null when
 * cancelled. The dialog is modal: focus stays in it, Escape cancels.
 */
export function confirmAction(title, text, okLabel, danger = false) {
  const $ = (id) => document.getElementById(id);
  const dialog = $('confirm');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = okLabel;
  $('confirm-ok').className = danger ? 'danger' : 'act';
  $('confirm-reason').value = '';
  dialog.returnValue = 'cancel';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok' ? $('confirm-reason').value : null),
      { once: true });
  });
}
