// Alerts: what needs a person now, each linking to what to look at.
import { api } from './api.js';
import { h, problem, when } from './dom.js';

const GROUPS = [['split', '⚠ Split sites', 'Two nodes report primary: look at the site\'s timeline and witness.'],
  ['offline', '✖ Offline sites', 'No node online.'],
  ['certificates', '⚑ Certificates near expiry', 'Renewal should have replaced these.'],
  ['pausedRollouts', '‖ Paused rollouts', 'Waiting for a person: approve, resume or abort.']];

export async function alertsView(view, ctx) {
  async function render() {
    const a = await api('/api/v1/noc/alerts');
    view.replaceChildren(h('h2', {}, 'Alerts'), ...GROUPS.map(([key, title, hint]) => {
      const g = a[key];
      return h('section', { 'aria-labelledby': `a-${key}`, 'data-alerts': key },
        h('h3', { id: `a-${key}` }, `${title} (${g.total})`),
        g.total === 0 ? h('p', { class: 'muted' }, 'None.') : h('div', {}, h('p', { class: 'muted' }, hint),
          h('ul', {}, ...g.items.map((i) => h('li', {}, h('a', { href: i.link }, i.title), ` — ${i.detail || ''} `, when(i.since)))),
          g.total > g.items.length ? h('p', {}, `and ${g.total - g.items.length} more`) : ''));
    }));
  }
  try { await render(); } catch (e) { view.replaceChildren(problem(e)); return; }
  ctx.onUpdate(() => render().catch(() => {}));
}
