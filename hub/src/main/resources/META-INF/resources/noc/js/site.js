// One site: both nodes, desired vs applied generation, and the timeline with failovers and witness decisions marked.
import { api } from './api.js';
import { badge, h, problem, siteStatus, when } from './dom.js';

const optional = (p) => p.catch((e) => (e.status === 404 ? null : Promise.reject(e)));
const FAILOVER = /failover|forced-promotion|promot|role-changed/;

function bytes(n) {
  if (n === undefined || n === null) return '—';
  return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
}

/** The newest certificate of each node: from enrollment, else the earliest expiry the node itself reports. */
function certExpiry(node, enrollments) {
  const mine = (enrollments || []).filter((e) => e.node === node.id && !e.revokedAt)
    .sort((a, b) => (a.notAfter < b.notAfter ? 1 : -1));
  if (mine.length) return mine[0].notAfter;
  const reported = ((node.health && node.health.certs) || []).map((c) => c.notAfter).filter(Boolean);
  return reported.length ? new Date(Math.min(...reported)).toISOString() : null;
}

function nodesTable(site, witness, desired, enrollments) {
  const rows = site.nodes.map((n) => {
    const pg = (n.health && n.health.pg) || {};
    const holder = witness && witness.holder === n.id;
    const applied = n.lastAppliedGeneration;
    const want = desired && desired.generation;
    const sync = want == null || applied == null ? '—' : applied >= want ? `${applied} (current)` : `${applied} (behind by ${want - applied})`;
    const versions = Object.entries(n.versions || {}).map(([k, v]) => `${k} ${v}`).join(', ');
    return h('tr', { 'data-node': n.id },
      h('th', { scope: 'row' }, n.id, h('div', { class: 'muted' }, n.hostname || '')),
      h('td', { 'data-col': 'online' }, n.online ? '● online' : `○ offline (${n.offlineReason || 'unknown'})`),
      h('td', {}, n.role || 'unknown'),
      h('td', {}, witness ? (holder ? `${witness.epoch} (holds the lease)` : `${witness.epoch}`) : '—'),
      h('td', {}, n.role === 'standby' ? (n.replicationOk ? '✔ streaming' : '✖ not streaming') : n.role === 'primary' ? 'primary' : '—'),
      h('td', {}, n.role === 'standby' ? bytes(pg.replicationLagBytes) : '—'),
      h('td', {}, n.agentVersion ? `agent ${n.agentVersion}` : '', versions ? h('div', { class: 'muted' }, versions) : ''),
      h('td', {}, when(certExpiry(n, enrollments))),
      h('td', {}, when(n.lastSeen)),
      h('td', {}, sync));
  });
  const cols = ['Node', 'Online', 'Role', 'Epoch', 'Replication', 'Lag', 'Versions', 'Certificate expires', 'Last seen',
    'Applied generation'];
  return h('table', { 'aria-label': 'Nodes' }, h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...rows));
}

function desiredPanel(desired) {
  if (!desired) return h('p', { class: 'muted' }, 'No desired state.');
  if (!desired.template) return h('p', {}, `Unbound: ${desired.reason}`);
  return h('dl', {},
    h('dt', {}, 'Template'), h('dd', {}, `${desired.template} revision ${desired.revision}`),
    h('dt', {}, 'Desired generation'), h('dd', { 'data-field': 'generation' }, String(desired.generation)),
    h('dt', {}, 'Published to the broker'), h('dd', {}, String(desired.publishedGeneration ?? '—')),
    h('dt', {}, 'Overrides'), h('dd', {}, h('code', {}, JSON.stringify(desired.overrides || {}))));
}

function timeline(events, witness) {
  const items = events.map((e) => ({ at: e.ts, node: e.node, type: e.type, severity: e.severity, message: e.message }));
  for (const g of (witness && witness.grants) || []) {
    items.push({ at: g.grantedAt, node: g.holder, type: 'witness.grant', severity: 'info',
      message: `epoch ${g.epoch} granted to ${g.holder}${g.reason ? `: ${g.reason}` : ''}` });
  }
  items.sort((a, b) => (a.at < b.at ? 1 : -1));
  if (!items.length) return h('p', { class: 'muted' }, 'No events yet.');
  return h('ol', { class: 'timeline', 'aria-label': 'Events, newest first' }, ...items.map((e) => {
    const mark = e.type.startsWith('witness.') ? ['⚖', 'witness decision'] : FAILOVER.test(e.type) ? ['⇄', 'failover'] : null;
    return h('li', { 'data-type': e.type },
      mark ? h('span', { class: 'mark' }, `${mark[0]} ${mark[1]}`) : '',
      when(e.at), ' · ', h('strong', {}, e.node), ' · ', h('code', {}, e.type), ` (${String(e.severity).toLowerCase()}) `,
      e.message || '');
  }));
}

/** The in-site upgrade's step (docs/api.md): "upgrade to generation 7: switching over (node a)". */
function upgradeLine(u) {
  if (!u) return '';
  return h('p', { id: 'site-upgrade' }, h('strong', {}, 'Upgrade'), ` to generation ${u.generation}: ${u.step}`,
    u.node ? ` (node ${u.node})` : '', u.error ? h('div', { class: 'muted' }, u.error) : '');
}

export async function siteView(view, ctx, id) {
  const enc = encodeURIComponent(id);
  async function render() {
    const [site, events, witness, desired, enrollments] = await Promise.all([
      api(`/api/v1/sites/${enc}`), api(`/api/v1/sites/${enc}/events`, { query: { limit: 100 } }),
      optional(api(`/api/v1/sites/${enc}/witness`)), optional(api(`/api/v1/sites/${enc}/desired`)),
      api('/api/v1/enrollments', { query: { site: id, limit: 50 } })]);
    const status = siteStatus({ ...site, nodesTotal: site.nodes.length });
    view.replaceChildren(
      h('p', {}, h('a', { href: '#/' }, '← Fleet')),
      h('h2', { id: 'site-title' }, `Site ${site.id} `, h('span', { id: 'site-status' }, badge(status))),
      h('p', {}, site.statusReason || '', ' ', h('span', { class: 'muted' }, `registration ${site.registration} · changed `),
        when(site.updatedAt)),
      h('p', { class: 'labels' }, ...Object.entries(site.labels || {}).map(([k, v]) => h('code', {}, `${k}=${v}`))),
      upgradeLine(site.upgrade),
      h('h3', {}, 'Nodes'), nodesTable(site, witness, desired, enrollments),
      h('div', { class: 'grid2' },
        h('section', {}, h('h3', {}, 'Desired state'), desiredPanel(desired)),
        h('section', {}, h('h3', {}, 'Witness'), witness
          ? h('p', {}, `epoch ${witness.epoch}, held by ${witness.holder || 'nobody'}; standby ${witness.standby || '—'}`
            + `${witness.standbyEligible ? ' (eligible)' : ''}`)
          : h('p', { class: 'muted' }, 'No node has asked the witness yet.'))),
      h('h3', {}, 'Timeline'), timeline(events.items, witness));
  }
  try {
    await render();
  } catch (e) {
    view.replaceChildren(h('p', {}, h('a', { href: '#/' }, '← Fleet')), problem(e));
    return;
  }
  document.getElementById('site-title').focus?.();
  ctx.onUpdate((u) => { if (u.more || u.changed.includes(id)) render().catch(() => {}); });
  // node-level changes (last seen, lag, health) do not move the site's row, so the stream does not carry them
  ctx.every(10000, () => { if (!document.hidden) render().catch(() => {}); });
}
