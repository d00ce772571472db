// Fleet overview: counts by status, filters, a sortable table paged by the server, kept current by the stream.
import { api } from './api.js';
import { STATUS, badge, h, problem, siteStatus, when } from './dom.js';

const FILTERS = ['status', 'q', 'label', 'template', 'revision', 'version'];
const COLUMNS = [['id', 'Site'], ['status', 'Status'], [null, 'Reason'], [null, 'Nodes online'],
  ['template', 'Template'], [null, 'Labels'], ['updatedAt', 'Changed']];

function go(params) {
  const clean = new URLSearchParams();
  for (const [k, v] of params) if (v) clean.set(k, v);
  const q = clean.toString();
  location.hash = q ? `#/?${q}` : '#/';
}

export async function overview(view, ctx, params) {
  const state = Object.fromEntries(params);
  const tiles = h('div', { class: 'tiles', role: 'group', 'aria-label': 'Sites by status (select to filter)' });
  const form = filterForm(state);
  const result = h('div', { id: 'result' });
  view.append(h('h2', {}, 'Fleet'), tiles, form, result);

  let shown = new Set();
  let lastCounts = null;
  function renderTiles(counts) {
    lastCounts = counts;
    tiles.replaceChildren(...Object.keys(STATUS).map((s) => {
      const [icon, word] = STATUS[s];
      const pressed = state.status === s;
      return h('button', { type: 'button', class: `tile s-${s}`, 'aria-pressed': String(pressed), 'data-status': s,
        onclick: () => { const p = new URLSearchParams(params); p.set('status', pressed ? '' : s); p.delete('page'); go(p); } },
      h('span', { class: 'n' }, String(counts[s] ?? 0)), h('span', { 'aria-hidden': 'true' }, `${icon} `), word);
    }), h('span', { class: 'muted', id: 'total' }, `${counts.total ?? 0} sites`));
  }

  async function load(changed = new Set()) {
    const query = { sort: state.sort, page: state.page, size: state.size || 25 };
    for (const f of FILTERS) if (state[f] && f !== 'label') query[f] = state[f];
    if (state.label) query.label = state.label.split(',').map((l) => l.trim()).filter(Boolean);
    let page;
    try {
      page = await api('/api/v1/sites', { query });
    } catch (e) {
      result.replaceChildren(problem(e));
      return;
    }
    shown = new Set(page.items.map((s) => s.id));
    result.replaceChildren(table(page, state, params, changed), pager(page, params));
  }

  const counts = await api('/api/v1/noc/summary');
  renderTiles(counts);
  await load();
  // Re-read the page only when it may have changed: one of its rows changed, sites came or went, or the view
  // depends on status (a status filter, or sorted by status or change time) and some site changed. A sorted-by-id
  // page does not re-read for changes elsewhere in the fleet (at 50,000 sites some site changes every second).
  const statusBound = Boolean(state.status) || /^-?(status|updatedAt)$/.test(state.sort || '');
  ctx.onUpdate((u) => {
    const totalMoved = lastCounts && u.counts.total !== lastCounts.total;
    renderTiles(u.counts);
    const touched = new Set(u.changed.filter((id) => shown.has(id)));
    if (touched.size || u.more || totalMoved || (statusBound && u.changed.length)) load(touched);
  });
}

function filterForm(state) {
  const field = (name, label, attrs = {}) => h('label', {}, label,
    h('input', { name, value: state[name] || '', ...attrs }));
  const status = h('select', { name: 'status' }, h('option', { value: '' }, 'any'),
    ...Object.entries(STATUS).map(([s, [, word]]) => h('option', { value: s, selected: state.status === s }, word)));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter sites' },
    field('q', 'Search', { type: 'search', placeholder: 'id, label, reason' }),
    h('label', {}, 'Status', status),
    field('label', 'Labels', { placeholder: 'region=eu,kind=store' }),
    field('template', 'Template'), field('revision', 'Revision', { inputmode: 'numeric', size: 4 }),
    field('version', 'Version', { placeholder: 'k3s=v1.31.4+k3s1' }),
    h('button', { type: 'submit' }, 'Apply'),
    h('button', { type: 'button', onclick: () => go(new URLSearchParams()) }, 'Clear'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams(new FormData(form));
    if (state.sort) p.set('sort', state.sort);
    if (state.size) p.set('size', state.size);
    go(p);
  });
  return form;
}

function table(page, state, params, changed) {
  const sort = state.sort || 'id';
  const head = h('tr', {}, ...COLUMNS.map(([key, label]) => {
    if (!key) return h('th', { scope: 'col' }, label);
    const active = sort === key || sort === `-${key}`;
    const desc = sort === `-${key}`;
    return h('th', { scope: 'col', 'aria-sort': active ? (desc ? 'descending' : 'ascending') : 'none' },
      h('button', { type: 'button', onclick: () => {
        const p = new URLSearchParams(params); p.set('sort', active && !desc ? `-${key}` : key); p.delete('page'); go(p);
      } }, label, active ? (desc ? ' ▼' : ' ▲') : ''));
  }));
  const rows = page.items.map((s) => h('tr', { class: changed.has(s.id) ? 'changed' : null, 'data-site': s.id },
    h('td', {}, h('a', { href: `#/sites/${encodeURIComponent(s.id)}` }, s.id)),
    h('td', { 'data-col': 'status' }, badge(siteStatus(s))),
    h('td', {}, s.statusReason || ''),
    h('td', {}, `${s.nodesOnline} of ${s.nodesTotal}`),
    h('td', {}, s.template ? `${s.template} r${s.revision}` : h('span', { class: 'muted' }, 'unbound')),
    h('td', { class: 'labels' }, ...Object.entries(s.labels || {}).map(([k, v]) => h('code', {}, `${k}=${v}`))),
    h('td', {}, when(s.updatedAt))));
  if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: COLUMNS.length }, 'No site matches these filters.')));
  return h('table', { 'aria-label': 'Sites' },
    h('caption', { class: 'muted' }, `${page.total} sites match`), h('thead', {}, head), h('tbody', {}, ...rows));
}

function pager(page, params) {
  const pages = Math.max(1, Math.ceil(page.total / page.size));
  const to = (n) => () => { const p = new URLSearchParams(params); p.set('page', String(n)); go(p); };
  const size = h('select', { 'aria-label': 'Sites per page', onchange: (ev) => {
    const p = new URLSearchParams(params); p.set('size', ev.target.value); p.delete('page'); go(p);
  } }, ...[25, 50, 100, 500].map((n) => h('option', { value: n, selected: n === page.size }, `${n} per page`)));
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    h('button', { type: 'button', disabled: page.page === 0, onclick: to(page.page - 1) }, '← Previous'),
    h('span', {}, `Page ${page.page + 1} of ${pages}`),
    h('button', { type: 'button', disabled: page.page + 1 >= pages, onclick: to(page.page + 1) }, 'Next →'), size);
}
