// Rollout board: every rollout with progress and counts; operators pause, resume, abort, approve after confirming.
import { api } from './api.js';
import { confirmAction, h, problem, when } from './dom.js';

const PHASE = { running: '▶ running', paused: '‖ paused', aborted: '■ aborted', succeeded: '✔ succeeded' };
const FAILED = ['failed', 'timed_out', 'rolled_back'];
const ACTIVE = ['in_progress', 'verifying'];

function what(r) {
  return r.kind === 'certificate-rotation' ? `certificate rotation ${r.id}` : `rollout ${r.id} (${r.template} to revision ${r.toRevision})`;
}

/** What each action will do, in the words of docs/rollouts.md. */
function consequence(action, r) {
  const wave = `wave ${r.openWave + 1} of ${r.waves}`;
  return {
    pause: `Pause ${what(r)}: no further site starts; sites already changing finish. Nothing is rolled back. Resume continues at ${wave}.`,
    resume: `Resume ${what(r)}: sites of ${wave} start again, within their maintenance windows.`,
    approve: `Approve the next wave of ${what(r)}: its sites start changing.`,
    abort: `Abort ${what(r)}: every site it touched is rolled back to its previous revision. This cannot be resumed.`,
  }[action];
}

function bar(counts, total) {
  const part = (keys) => keys.reduce((s, k) => s + (counts[k] || 0), 0);
  const seg = (n, cls, label) => {
    const el = h('span', { class: cls, title: `${n} ${label}` });
    el.style.width = `${total ? (100 * n) / total : 0}%`;
    return el;
  };
  const ok = counts.succeeded || 0;
  return h('div', {}, h('div', { class: 'bar', role: 'img',
    'aria-label': `${ok} of ${total} sites succeeded, ${part(FAILED)} failed or rolled back, ${part(ACTIVE)} in progress` },
  seg(ok, 'succeeded', 'succeeded'), seg(part(FAILED), 'failed', 'failed'), seg(part(ACTIVE), 'active', 'in progress')),
  h('span', { class: 'muted' }, `${ok} of ${total} succeeded`));
}

function actions(r, ctx, reload) {
  if (!ctx.me.canAct || !['running', 'paused'].includes(r.phase)) return '';
  const list = r.phase === 'running' ? ['pause', 'abort']
    : (/approval/.test(r.reason || '') ? ['approve', 'resume', 'abort'] : ['resume', 'abort']);
  const out = h('div', { class: 'actions' });
  const status = h('p', { role: 'status', class: 'muted' });
  for (const action of list) {
    out.append(h('button', { type: 'button', class: action === 'abort' ? 'danger' : 'act', 'data-action': action,
      onclick: async () => {
        const reason = await confirmAction(`${action[0].toUpperCase()}${action.slice(1)} ${what(r)}?`, consequence(action, r),
          `${action[0].toUpperCase()}${action.slice(1)}`, action === 'abort');
        if (reason === null) return;
        try {
          await api(`/api/v1/rollouts/${r.id}/${action}`, { method: 'POST', query: { reason } });
          status.textContent = `${action} requested; the hub carries it out at its next tick.`;
          reload();
        } catch (e) {
          status.replaceChildren(problem(e));
        }
      } }, `${action[0].toUpperCase()}${action.slice(1)}…`));
  }
  return h('div', {}, out, status);
}

function card(r, ctx, reload, detailed) {
  const total = Object.values(r.counts || {}).reduce((s, n) => s + n, 0);
  const counts = Object.entries(r.counts || {}).filter(([, n]) => n > 0).map(([k, n]) => `${k.replace('_', ' ')} ${n}`).join(' · ');
  const waves = Array.isArray(r.waveCounts) ? r.waveCounts : [];
  return h('article', { class: 'card', 'data-rollout': String(r.id), 'aria-labelledby': `r${r.id}` },
    h('h3', { id: `r${r.id}` }, detailed ? what(r) : h('a', { href: `#/rollouts/${r.id}` }, what(r))),
    h('p', {}, h('strong', { 'data-field': 'phase' }, PHASE[r.phase] || r.phase), r.reason ? ` — ${r.reason}` : '',
      h('span', { class: 'muted' }, ` · by ${r.createdBy}, started `), when(r.createdAt)),
    bar(r.counts || {}, total), h('p', {}, counts || 'no sites yet'),
    waves.length ? h('table', { 'aria-label': `Waves of rollout ${r.id}` },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Wave'), h('th', { scope: 'col' }, 'Sites by state'))),
      h('tbody', {}, ...waves.map((w, i) => h('tr', { class: i === r.openWave ? 'open' : null },
        h('th', { scope: 'row' }, `${i + 1}${i === r.openWave ? ' (open)' : ''}`),
        h('td', {}, Object.entries(w || {}).map(([k, n]) => `${k.replace('_', ' ')} ${n}`).join(' · ') || '—'))))) : '',
    actions(r, ctx, reload));
}

export async function rolloutsView(view, ctx, id) {
  async function render() {
    if (id) {
      const [r, audit] = await Promise.all([api(`/api/v1/rollouts/${encodeURIComponent(id)}`),
        api(`/api/v1/rollouts/${encodeURIComponent(id)}/audit`)]);
      view.replaceChildren(h('p', {}, h('a', { href: '#/rollouts' }, '← Rollouts')), card(r, ctx, render, true),
        h('h3', {}, 'Audit trail'),
        h('table', { 'aria-label': 'Audit trail' }, h('thead', {}, h('tr', {},
          ...['When', 'Who', 'Action', 'Detail', 'Carried out', 'Outcome'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, ...audit.map((a) => h('tr', {}, h('td', {}, when(a.at)), h('td', {}, a.actor), h('td', {}, a.action),
          h('td', {}, a.detail || ''), h('td', {}, when(a.appliedAt)), h('td', {}, a.outcome || ''))))));
      return;
    }
    const list = await api('/api/v1/rollouts');
    view.replaceChildren(h('h2', {}, 'Rollouts'),
      list.length ? h('div', { class: 'cards' }, ...list.map((r) => card(r, ctx, render, false)))
        : h('p', {}, 'No rollouts yet.'));
  }
  try { await render(); } catch (e) { view.replaceChildren(problem(e)); return; }
  ctx.onUpdate((u) => { if (u.rollouts && !document.getElementById('confirm').open) render().catch(() => {}); });
}
