// The API as the page uses it: the bearer token from sessionStorage on every request, and the live stream read
// with fetch (EventSource cannot send an Authorization header, and the token must not go into a URL).
const KEY = 'gk8s.noc.token';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t.trim()),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || (problem && problem.title) || `HTTP ${status}`);
    this.status = status;
  }
}

export async function api(path, { method = 'GET', query } = {}) {
  const url = new URL(path, location.href);
  for (const [k, v] of Object.entries(query || {})) {
    for (const one of [].concat(v)) if (one !== undefined && one !== null && one !== '') url.searchParams.append(k, one);
  }
  const res = await fetch(url, { method, headers: { Authorization: `Bearer ${token.get()}`, Accept: 'application/json' } });
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { detail: text }; }
  if (res.status === 401) {
    token.clear();
    window.dispatchEvent(new Event('gk8s:signed-out'));
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

/**
 * Follows /api/v1/noc/stream until stop() is called: onUpdate(json) for each update, onState('live' |
 * 'reconnecting') when the connection comes or goes. Reconnects with backoff (1 s doubling to 15 s, with jitter);
 * a stream silent for 40 s (the hub sends a keep-alive every 15 s) counts as dead.
 */
export function follow(onUpdate, onState) {
  let stopped = false;
  let controller = null;
  let delay = 1000;
  async function once() {
    controller = new AbortController();
    let watchdog = setTimeout(() => controller.abort(), 40000);
    const res = await fetch('/api/v1/noc/stream', {
      headers: { Authorization: `Bearer ${token.get()}`, Accept: 'text/event-stream' }, signal: controller.signal });
    if (res.status === 401) { token.clear(); window.dispatchEvent(new Event('gk8s:signed-out')); stopped = true; return; }
    if (!res.ok || !res.body) throw new Error(`stream: HTTP ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      clearTimeout(watchdog);
      watchdog = setTimeout(() => controller.abort(), 40000);
      buffer += value.replace(/\r\n/g, '\n');
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
        if (!data) continue;
        const update = JSON.parse(data);
        delay = 1000;
        onState('live');
        if (update.type === 'fleet') onUpdate(update);
      }
    }
  }
  (async () => {
    while (!stopped) {
      try { await once(); } catch (e) { /* reconnect below */ }
      if (stopped) break;
      onState('reconnecting');
      await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random() / 2)));
      delay = Math.min(delay * 2, 15000);
    }
  })();
  return { stop() { stopped = true; if (controller) controller.abort(); } };
}
