// Sites by location (labels lat and lon) on an offline world map shipped with the hub (../world.svg).
import { api } from './api.js';
import { STATUS, h, problem } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const COLOUR = { split: '#cf222e', offline: '#57606a', degraded: '#9a6700', healthy: '#1a7f37' };

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

function describe(c) {
  const parts = Object.entries(c.counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${STATUS[s][1].toLowerCase()}`);
  return `${c.lat}°, ${c.lon}°: ${c.sites} sites (${parts.join(', ')})`;
}

export async function mapView(view, ctx) {
  async function render() {
    const m = await api('/api/v1/noc/map');
    const world = svg('svg', { viewBox: '0 0 360 180', class: 'world', role: 'img',
      'aria-label': `Map: ${m.located} sites in ${m.cells.length} places; the table below lists them` },
    svg('image', { href: 'world.svg', width: 360, height: 180 }));
    // healthy first, so the worst are drawn on top; each mark is the status symbol, not a colour alone
    for (const c of [...m.cells].reverse()) {
      const size = Math.min(16, 8 + 2 * Math.log2(c.sites));
      const mark = svg('text', { x: c.lon + 180, y: 90 - c.lat, 'font-size': size, 'text-anchor': 'middle',
        'dominant-baseline': 'central', fill: COLOUR[c.worst], stroke: '#fff', 'stroke-width': 0.3,
        'paint-order': 'stroke', 'data-cell': `${c.lat},${c.lon}`, 'data-worst': c.worst }, STATUS[c.worst][0]);
      mark.append(svg('title', {}, describe(c)));
      world.append(mark);
    }
    const rows = m.cells.slice(0, 100).map((c) => h('tr', { 'data-cell': `${c.lat},${c.lon}` },
      h('td', {}, `${c.lat}°, ${c.lon}°`), h('td', {}, `${STATUS[c.worst][0]} ${STATUS[c.worst][1]}`),
      h('td', {}, String(c.sites)),
      h('td', {}, Object.entries(c.counts).filter(([, n]) => n > 0).map(([s, n]) => `${STATUS[s][1]} ${n}`).join(' · '))));
    view.replaceChildren(h('h2', {}, 'Map'),
      h('p', { class: 'muted' }, `Sites with the labels lat and lon (decimal degrees), per degree: ${m.located} located, `
        + `${m.unlocated} without a location. Symbols show the worst status at each place.`),
      world,
      h('table', { 'aria-label': 'Places, worst first' }, h('thead', {}, h('tr', {},
        ...['Place', 'Worst', 'Sites', 'By status'].map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, ...rows)),
      m.cells.length > 100 ? h('p', {}, `and ${m.cells.length - 100} more places`) : '');
  }
  try { await render(); } catch (e) { view.replaceChildren(problem(e)); return; }
  let last = Date.now();
  ctx.onUpdate((u) => {
    if (u.changed.length && Date.now() - last > 5000) { last = Date.now(); render().catch(() => {}); }
  });
}
