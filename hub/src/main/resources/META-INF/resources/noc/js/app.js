// The NOC view: sign-in with an API token, hash routes, one live stream shared by the views.
import { api, follow, token } from './api.js';
import { problem } from './dom.js';
import { overview } from './overview.js';
import { siteView } from './site.js';
import { rolloutsView } from './rollouts.js';
import { alertsView } from './alerts.js';
import { mapView } from './map.js';

const $ = (id) => document.getElementById(id);
const ctx = {
  me: null, listeners: new Set(), timers: new Set(),
  onUpdate(fn) { this.listeners.add(fn); },
  /** A view's own timer, stopped when the view is left. */
  every(ms, fn) { this.timers.add(setInterval(fn, ms)); },
};
let stream = null;

function setLive(state) {
  const el = $('live');
  el.dataset.state = state;
  el.textContent = state === 'live' ? '● live' : state === 'reconnecting' ? '◌ reconnecting…' : '○ not connected';
}

async function refreshAlertCount() {
  try {
    const a = await api('/api/v1/noc/alerts');
    const n = Object.values(a).reduce((sum, g) => sum + g.total, 0);
    const pill = $('alert-count');
    pill.hidden = n === 0;
    pill.textContent = String(n);
    pill.setAttribute('aria-label', `${n} alerts`);
  } catch { /* shown on the alerts page */ }
}

function route() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query] = hash.split('?');
  const params = new URLSearchParams(query || '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  ctx.listeners.clear();
  for (const t of ctx.timers) clearInterval(t);
  ctx.timers.clear();
  const view = $('view');
  view.replaceChildren();
  let name = 'overview';
  let render;
  if (parts[0] === 'sites' && parts[1]) { name = 'overview'; render = () => siteView(view, ctx, parts[1]); }
  else if (parts[0] === 'rollouts') { name = 'rollouts'; render = () => rolloutsView(view, ctx, parts[1]); }
  else if (parts[0] === 'alerts') { name = 'alerts'; render = () => alertsView(view, ctx); }
  else if (parts[0] === 'map') { name = 'map'; render = () => mapView(view, ctx); }
  else render = () => overview(view, ctx, params);
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === name && !(parts[0] === 'sites')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  Promise.resolve(render()).catch((e) => view.append(problem(e)));
}

async function start() {
  const login = $('login');
  if (!token.get()) {
    login.hidden = false;
    $('view').replaceChildren();
    $('token').focus();
    return;
  }
  try {
    ctx.me = await api('/api/v1/noc/me');
  } catch (e) {
    login.hidden = false;
    $('login-error').textContent = e.status === 401 ? 'The hub did not accept this token.' : e.message;
    return;
  }
  login.hidden = true;
  $('who').textContent = `${ctx.me.name} (${ctx.me.role})`;
  $('logout').hidden = false;
  document.body.dataset.role = ctx.me.role;
  if (stream) stream.stop();
  setLive('reconnecting');
  stream = follow((u) => {
    for (const fn of ctx.listeners) fn(u);
    if (u.changed.length || u.more || u.rollouts) refreshAlertCount();
  }, setLive);
  refreshAlertCount();
  route();
}

$('login').addEventListener('submit', (ev) => {
  ev.preventDefault();
  token.set($('token').value);
  $('token').value = '';
  $('login-error').textContent = '';
  start();
});
$('logout').addEventListener('click', () => {
  token.clear();
  window.dispatchEvent(new Event('gk8s:signed-out'));
});
window.addEventListener('gk8s:signed-out', () => {
  if (stream) stream.stop();
  stream = null;
  setLive('off');
  ctx.me = null;
  $('who').textContent = '';
  $('logout').hidden = true;
  delete document.body.dataset.role;
  start();
});
window.addEventListener('hashchange', () => { if (ctx.me) route(); });
start();

