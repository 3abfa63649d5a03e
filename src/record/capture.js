  // --- capture.js: start state, network, errors, navigations, transport (after recorder.js)
  const CAP = 1 << 20, BATCH = 512 << 10, PENDING = 4 << 20;
  const DENY = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-?key)$|token|session|secret|csrf|xsrf|api[-_]?key|passw/i;
  const MASK = 'redacted-secret';
  const ingest = C.endpoint + '/v1/ingest/';
  const mine = (u) => u.startsWith(ingest) || u === src;
  // Secrets typed in private fields, in every form a body may carry them.
  const scrub = (t) => {
    if (typeof t !== 'string' || !t) return t;
    for (const s of secrets) {
      if (!s) continue;
      for (const f of [s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s), encodeURIComponent(s).replace(/%20/g, '+')]) t = t.split(f).join(MASK);
    }
    return t;
  };
  const storage = (st) => {
    const o = {};
    try { for (let i = 0; i < st.length; i++) { const k = st.key(i); if (k !== '__reprise') o[k] = DENY.test(k) ? MASK : st.getItem(k); } } catch (_) { /* blocked */ }
    return o;
  };
  const nav = (performance.getEntriesByType && performance.getEntriesByType('navigation')[0]) || {};
  const tz = Intl.DateTimeFormat().resolvedOptions();
  const start = {
    url: location.href, title: '', viewport: { width: innerWidth, height: innerHeight, deviceScaleFactor: devicePixelRatio },
    userAgent: navigator.userAgent, timezone: tz.timeZone, locale: navigator.language || tz.locale,
    startTime: now(), buildId: null, localStorage: storage(localStorage), sessionStorage: storage(SS),
    cookies: D.cookie.split(';').map((c) => c.trim()).filter(Boolean).map((c) => { const i = c.indexOf('='); return DENY.test(c.slice(0, i)) ? c.slice(0, i) + '=' + MASK : c; }).join('; '),
    navigation: nav.type || 'navigate', snippet: src || null,
  };
  if (S.q === 0) start.startTime = S.t;

  // --- network: a HAR entry per exchange
  const hdrs = (h) => {
    const out = [];
    if (!h) return out;
    const add = (n, v) => { if (!DENY.test(n)) out.push({ name: String(n).toLowerCase(), value: String(v) }); };
    if (h.forEach && !Array.isArray(h)) h.forEach((v, n) => add(n, v));
    else if (typeof h === 'string') h.trim().split(/[\r\n]+/).forEach((l) => { const i = l.indexOf(':'); if (i > 0) add(l.slice(0, i).trim(), l.slice(i + 1).trim()); });
    else for (const [n, v] of Array.isArray(h) ? h : Object.entries(h)) add(n, v);
    return out;
  };
  const hget = (list, n) => (list.find((h) => h.name === n) || {}).value;
  const bodyText = (b) => (typeof b === 'string' ? b : b instanceof URLSearchParams ? b.toString() : null);
  const exchange = (t0, method, url, reqH, reqBody, status, statusText, resH, text, truncated) => {
    url = new URL(url, location.href).href;
    if (mine(url) || !/^https?:/.test(url) || !allowed(url)) return;
    let request = { method: method.toUpperCase(), url, httpVersion: 'HTTP/1.1', headers: reqH, cookies: [], queryString: [], headersSize: -1, bodySize: reqBody == null ? 0 : reqBody.length };
    if (reqBody != null) request.postData = { mimeType: hget(reqH, 'content-type') || 'text/plain;charset=UTF-8', text: scrub(reqBody) };
    let response = { status, statusText: statusText || '', httpVersion: 'HTTP/1.1', headers: resH, cookies: [], redirectURL: '', headersSize: -1, bodySize: -1,
      content: { size: text ? text.length : 0, mimeType: hget(resH, 'content-type') || '', text: scrub(text || '') } };
    try {
      if (C.tReq && (request = C.tReq(request)) == null) return;
      if (C.tRes && (response = C.tRes(response, request)) == null) return;
    } catch (_) { return; }
    q.push({ type: 'exchange', t: t0 - S.t, truncated: !!truncated, entry: { startedDateTime: new Date(t0).toISOString(), time: now() - t0, request, response, cache: {}, timings: { send: 0, wait: now() - t0, receive: 0 } } });
  };
  // A body read up to the cap: the declared length first, then the stream with a cap.
  const readCapped = async (res) => {
    const len = +res.headers.get('content-length');
    if (!res.body || (len && len <= CAP)) return [await res.text(), false];
    const r = res.body.getReader(), dec = new TextDecoder();
    let text = '', n = 0;
    for (;;) {
      const { done, value } = await r.read();
      if (done) return [text + dec.decode(), false];
      n += value.length;
      if (n > CAP) { r.cancel().catch(() => {}); return [text + dec.decode(value.subarray(0, value.length - (n - CAP))), true]; }
      text += dec.decode(value, { stream: true });
    }
  };
  const stream = (kind, url) => q.push({ type: 'stream', t: at(), kind, url: String(url) });
  const ofetch = W.fetch;
  if (ofetch) W.fetch = function (input, init) {
    const p = ofetch.apply(this, arguments);
    try {
      const t0 = now(), req = input instanceof Request ? input : null, o = init || {};
      const url = req ? req.url : String(input), method = o.method || (req && req.method) || 'GET';
      const reqH = hdrs(o.headers || (req && req.headers));
      let body = o.body != null ? bodyText(o.body) : null;
      if (o.body != null && body == null && !(o.body instanceof FormData)) body = '';
      const bodyP = body == null && req && req.body ? req.clone().text().catch(() => null) : Promise.resolve(body);
      p.then(async (res) => {
        const resH = hdrs(res.headers);
        if (/event-stream/.test(hget(resH, 'content-type') || '')) return stream('eventsource', url);
        const [text, cut] = await readCapped(res.clone());
        exchange(t0, method, url, reqH, await bodyP, res.status, res.statusText, resH, text, cut);
      }).catch(() => {});
    } catch (_) { /* never break the page's request */ }
    return p;
  };
  const X = XMLHttpRequest.prototype, xo = X.open, xs = X.send, xh = X.setRequestHeader;
  X.open = function (m, u) { this.__r = { m, u: String(u), h: [] }; return xo.apply(this, arguments); };
  X.setRequestHeader = function (n, v) { if (this.__r) this.__r.h.push([n, v]); return xh.apply(this, arguments); };
  X.send = function (b) {
    const r = this.__r;
    if (r) {
      const t0 = now(), body = b == null ? null : bodyText(b);
      this.addEventListener('loadend', () => {
        if (!this.status) return;
        let text = '';
        try { text = this.responseType === '' || this.responseType === 'text' ? this.responseText : this.responseType === 'json' ? JSON.stringify(this.response) : ''; } catch (_) { /* */ }
        const cut = text.length > CAP;
        exchange(t0, r.m, this.responseURL || r.u, hdrs(r.h), body, this.status, this.statusText, hdrs(this.getAllResponseHeaders()), cut ? text.slice(0, CAP) : text, cut);
      });
    }
    return xs.apply(this, arguments);
  };
  // A beacon gets no answer the page sees: recorded as a 204 so replay answers it.
  const ob = navigator.sendBeacon;
  if (ob) navigator.sendBeacon = function (u, d) {
    const ok = ob.apply(navigator, arguments);
    try {
      const body = d == null ? '' : bodyText(d);
      if (body == null) stream('beacon', u);
      else exchange(now(), 'POST', u, [{ name: 'content-type', value: 'text/plain;charset=UTF-8' }], body, 204, 'No Content', [], '', false);
    } catch (_) { /* */ }
    return ok;
  };
  for (const [name, kind] of [['WebSocket', 'websocket'], ['EventSource', 'eventsource']]) {
    const O = W[name];
    if (O) W[name] = new Proxy(O, { construct(T, a) { try { stream(kind, new URL(a[0], location.href).href); } catch (_) { /* */ } return Reflect.construct(T, a); } });
  }

  // --- errors and same-document navigations
  let errors = 0;
  const err = (source, m) => { if (errors++ < 100) q.push({ type: 'error', t: at(), source, message: scrub(String(m)).slice(0, 1000) }); };
  W.addEventListener('error', (e) => err('window', e.message || (e.error && e.error.message) || 'error'), true);
  W.addEventListener('unhandledrejection', (e) => err('unhandledrejection', (e.reason && e.reason.message) || e.reason));
  const ce = console.error;
  console.error = function () { err('console', Array.from(arguments).join(' ')); return ce.apply(this, arguments); };
  const navEv = (kind) => q.push({ type: 'navigation', t: at(), kind, url: location.href });
  for (const k of ['pushState', 'replaceState']) {
    const f = history[k];
    history[k] = function () { const r = f.apply(this, arguments); navEv(k); return r; };
  }
  W.addEventListener('popstate', () => navEv('popstate'));
  W.addEventListener('hashchange', () => navEv('hashchange'));

  // --- transport: a batch soon after something happened (or at 512 KB), gzipped, retried
  // with backoff. Soon, not on a slow tick: what is still in the page when the person leaves
  // rides on `pagehide`'s keepalive request, which the browser cancels if it is closed at
  // once (a closed window, a quit browser); a short session then never reached the store.
  const SOON = 250;
  let on = !C.consent, dead = false, sentStart = false, size = 0, timer = 0, soonTimer = 0, failures = 0;
  const outbox = [];
  const gzip = async (s) => {
    if (!W.CompressionStream) return s;
    try { return await new Response(new Blob([s]).stream().pipeThrough(new CompressionStream('gzip'))).blob(); } catch (_) { return s; }
  };
  const post = async (b, last, keepalive = last && b.json.length < 60000) => {
    const url = ingest + S.s + '/' + S.w + '/' + b.seq + '?token=' + encodeURIComponent(C.token);
    const body = last ? b.json : await gzip(b.json);
    const res = await ofetch(url, { method: 'POST', body, keepalive, mode: 'cors', credentials: 'omit', headers: { 'Content-Type': 'text/plain' } });
    return res.status < 500 && res.status !== 429;
  };
  const drain = async () => {
    while (outbox.length) {
      let ok = false;
      const o = outbox[0];
      try { ok = await post(o); } catch (_) { /* network error */ }
      if (!ok) { setTimeout(drain, Math.min(60000, 1000 * 2 ** failures++)); return; }
      failures = 0;
      // (leaving the page may have sent and emptied the outbox meanwhile)
      if (outbox[0] === o) outbox.shift();
    }
  };
  const batch = () => {
    if (!q.length && sentStart) return null;
    const b = { v: 1, session: S.s, window: S.w, seq: S.q++, events: q.splice(0).sort((x, y) => x.t - y.t) };
    if (!sentStart) {
      start.title = D.title;
      start.buildId = uc.buildId || W.__BUILD_ID__ || (D.querySelector('meta[name="build-id"]') || {}).content || null;
      b.start = start;
      sentStart = true;
    }
    save();
    size = 0;
    // Scrubbed once more: a secret may have become known after its request was captured.
    return { seq: b.seq, json: scrub(JSON.stringify(b)) };
  };
  const flush = (last) => {
    if (!on) {
      // Waiting for consent: kept in memory, bounded.
      while (q.length && JSON.stringify(q).length > PENDING) q.shift();
      return;
    }
    const b = batch();
    if (last) {
      // Leaving the page: the outbox goes too (a batch waiting for a retry, or in flight,
      // which leaving aborts), uncompressed, with keepalive while the browser's 64 KB
      // allowance lasts; the collector drops a batch it already has.
      let allowance = 60000;
      for (const o of outbox.splice(0).concat(b ? [b] : [])) {
        const keep = o.json.length <= allowance;
        if (keep) allowance -= o.json.length;
        post(o, true, keep).catch(() => {});
      }
      return;
    }
    if (!b) return;
    outbox.push(b);
    let total = 0;
    for (let i = outbox.length - 1; i >= 0; i--) if ((total += outbox[i].json.length) > PENDING) { outbox.splice(0, i + 1); break; }
    if (outbox.length === 1) drain();
  };
  // At most one batch per SOON ms: the first event not yet sent starts the wait.
  const soon = () => { if (on && !soonTimer) soonTimer = setTimeout(() => { soonTimer = 0; flush(); }, SOON); };
  const push = q.push.bind(q);
  q.push = (e) => {
    if (dead) return 0;
    const n = push(e);
    size += 200 + (e.entry ? (e.entry.response.content.text || '').length + ((e.entry.request.postData || {}).text || '').length : 0);
    if (size > BATCH) flush();
    else soon();
    return n;
  };
  // The first batch (the start state) leaves once the page has loaded, events or not, so the
  // session is in the store from its first second; the tick trims the consent buffer.
  if (D.readyState === 'complete') soon();
  else W.addEventListener('load', () => soon());
  timer = setInterval(flush, 2000);
  W.addEventListener('pagehide', () => { q.push({ type: 'end', t: at(), reason: 'pagehide' }); flush(true); }, true);
  W.reprise = {
    sessionId: S.s,
    windowId: S.w,
    start() { on = true; flush(); },
    // Consent withdrawn: what is buffered is dropped, nothing more is recorded in this tab.
    stop() { q.length = 0; if (on && sentStart) { q.push({ type: 'end', t: at(), reason: 'stop' }); flush(); } on = false; dead = true; clearInterval(timer); S.in = false; save(); },
    flush: () => flush(),
  };
})();
