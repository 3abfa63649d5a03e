// reprise determinism shim: runs before the page's own scripts in every document
// (Page.addScriptToEvaluateOnNewDocument). `__REPRISE_CONFIG__` is replaced by reprise with
// {"now": epoch ms, "seed": u32}. Everything here must be idempotent and must never throw.
(() => {
  if (window.__repriseShim) return;
  const cfg = __REPRISE_CONFIG__;
  // The replay marker: the capture snippet (capture.js, docs/capture.md) records nothing in
  // a page reprise replays.
  try { Object.defineProperty(window, '__repriseReplay', { value: true }); } catch (_) { /* */ }
  // The recording's start state (`reprise.storage`), set in the app's first document before
  // its own scripts run; reprise drops it from this config once that document loaded.
  const st = cfg.storage;
  if (st && window === window.top && location.origin === st.origin) {
    try {
      for (const k of Object.keys(st.localStorage || {})) localStorage.setItem(k, st.localStorage[k]);
      for (const k of Object.keys(st.sessionStorage || {})) sessionStorage.setItem(k, st.sessionStorage[k]);
      for (const c of (st.cookies || '').split(';')) if (c.trim()) document.cookie = c.trim() + '; path=/';
    } catch (_) { /* storage disabled: the page starts empty */ }
  }
  const realPerfNow = performance.now.bind(performance);
  const OrigDate = Date;
  let now = cfg.now;
  // performance.now() counts from the document's start: derive it from the frozen clock so
  // that durations computed from it are as deterministic as Date.
  const docStart = cfg.now;

  // --- clock -------------------------------------------------------------------------
  function FrozenDate(...args) {
    if (!new.target) return new OrigDate(now).toString();
    // Reflect.construct keeps subclasses (`class TZDate extends Date`) working.
    return Reflect.construct(OrigDate, args.length ? args : [now], new.target);
  }
  FrozenDate.prototype = OrigDate.prototype;
  Object.defineProperty(FrozenDate.prototype, 'constructor', { value: FrozenDate, writable: true, configurable: true });
  FrozenDate.now = () => now;
  FrozenDate.parse = OrigDate.parse;
  FrozenDate.UTC = OrigDate.UTC;
  Object.defineProperty(FrozenDate, 'name', { value: 'Date' });
  FrozenDate.toString = () => 'function Date() { [native code] }';
  window.Date = FrozenDate;
  // performance.now() moves by a microsecond per call on top of the frozen clock: still
  // deterministic, but a loop waiting for it to pass a deadline ends.
  let perfCalls = 0;
  try {
    Object.defineProperty(performance, 'now', { value: () => now - docStart + (++perfCalls) / 1000, configurable: true });
  } catch (_) { /* non-configurable in some contexts: leave it */ }

  // --- randomness: a seeded stream per document (sfc32) ---------------------------------
  let a = cfg.seed >>> 0, b = 0x9e3779b9, c = 0x243f6a88, d = (cfg.seed ^ 0x85a308d3) >>> 0;
  function next() {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b | 0) + d | 0;
    d = d + 1 | 0;
    a = b ^ b >>> 9;
    b = c + (c << 3) | 0;
    c = (c << 21 | c >>> 11);
    c = c + t | 0;
    return (t >>> 0) / 4294967296;
  }
  for (let i = 0; i < 16; i++) next();
  Math.random = next;
  if (window.crypto) {
    const fill = (arr) => {
      const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
      return arr;
    };
    try { Object.defineProperty(Crypto.prototype, 'getRandomValues', { value: fill, configurable: true, writable: true }); } catch (_) {}
    try {
      Object.defineProperty(Crypto.prototype, 'randomUUID', {
        configurable: true, writable: true,
        value: () => {
          const b = fill(new Uint8Array(16));
          b[6] = (b[6] & 0x0f) | 0x40;
          b[8] = (b[8] & 0x3f) | 0x80;
          const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
          return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
        },
      });
    } catch (_) {}
  }

  // --- activity tracking for "settled" ------------------------------------------------
  const state = { pending: 0, timers: 0, lastMutation: realPerfNow() };
  // Timers run on the virtual clock: they fire when reprise moves the clock past their due
  // time (per step, as the recording's timestamps say, or while a step waits on an otherwise
  // idle page), in due order, with the clock at their due time; how many fired never depends
  // on how fast the machine replays. Only near-zero timeouts (`setTimeout(fn, 0)`, the
  // "next tick" of many libraries) run in real time: they count as pending work, and a chain
  // of them is capped per clock value so a perpetual loop cannot run unboundedly.
  const TINY = 16;
  const TINY_PER_TICK = 200;
  const origSetTimeout = window.setTimeout.bind(window);
  const origClearTimeout = window.clearTimeout.bind(window);
  const origSetInterval = window.setInterval.bind(window);
  const origClearInterval = window.clearInterval.bind(window);
  const live = new Set();
  const virtual = new Map(); // id -> { due, every, run }
  let nextVirtualId = 1e9;
  let tinyAtNow = 0;
  const heldTiny = [];
  const call = (fn, self, rest) => (typeof fn === 'function' ? fn.apply(self, rest) : (0, eval)(String(fn)));
  const addVirtual = (due, every, run) => {
    const id = nextVirtualId++;
    virtual.set(id, { due, every, run });
    return id;
  };
  window.setTimeout = function (fn, delay, ...rest) {
    const wait = Math.max(0, Number(delay) || 0);
    if (wait > TINY) return addVirtual(now + wait, 0, () => call(fn, window, rest));
    let id;
    const wrapped = function () {
      if (!live.has(id)) return;
      if (tinyAtNow >= TINY_PER_TICK) { heldTiny.push(wrapped); return; }
      tinyAtNow++;
      live.delete(id);
      state.timers = Math.max(0, state.timers - 1);
      return call(fn, this, rest);
    };
    id = origSetTimeout(wrapped, wait);
    live.add(id);
    state.timers++;
    return id;
  };
  const clear = (id) => {
    if (virtual.delete(id)) return true;
    if (live.delete(id)) state.timers = Math.max(0, state.timers - 1);
    return false;
  };
  window.clearTimeout = function (id) {
    if (!clear(id)) origClearTimeout(id);
  };
  window.setInterval = function (fn, delay, ...rest) {
    const every = Math.max(TINY, Number(delay) || 0);
    return addVirtual(now + every, every, () => call(fn, window, rest));
  };
  window.clearInterval = function (id) {
    if (!clear(id)) origClearInterval(id);
  };
  // Moves the clock to `to`, firing virtual timers in due order (ties: creation order) with
  // the clock at each one's due time. A runaway interval is bounded per move.
  const advance = (to) => {
    const from = now;
    let fired = 0;
    for (;;) {
      let nextId = null;
      let next = null;
      for (const [id, t] of virtual) {
        if (t.due <= to && (next === null || t.due < next.due || (t.due === next.due && id < nextId))) {
          next = t;
          nextId = id;
        }
      }
      if (next === null || fired++ > 10000) break;
      const due = next.due;
      if (next.every) next.due += next.every; else virtual.delete(nextId);
      if (due > now) now = due;
      try { next.run(); } catch (e) { origSetTimeout(() => { throw e; }, 0); }
    }
    now = to;
    const frames = Math.min(MAX_FRAMES_PER_MOVE, Math.max(1, Math.ceil((to - from) / FRAME_MS)));
    runFrames(frames, from, to);
    now = to;
    tinyAtNow = 0;
    for (const w of heldTiny.splice(0)) origSetTimeout(w, 0);
  };
  // The due time of the earliest virtual timer, or null.
  const nextDue = () => {
    let best = null;
    for (const t of virtual.values()) if (best === null || t.due < best) best = t.due;
    return best;
  };

  // Animation frames run on the virtual clock too: callbacks are queued and run when the
  // clock moves, one frame per 1/60 s of virtual time (at most a few per move), each with its
  // virtual timestamp. A requestAnimationFrame loop then draws the same frames in every
  // replay, however fast the machine is.
  const FRAME_MS = 1000 / 60;
  const MAX_FRAMES_PER_MOVE = 10;
  let frameQueue = []; // [id, callback]
  let nextFrameId = 1;
  window.requestAnimationFrame = function (cb) {
    const id = nextFrameId++;
    frameQueue.push([id, cb]);
    return id;
  };
  window.cancelAnimationFrame = function (id) {
    frameQueue = frameQueue.filter(([fid]) => fid !== id);
  };
  const runFrames = (count, from, to) => {
    for (let k = 1; k <= count && frameQueue.length; k++) {
      const t = count === 1 ? to : from + ((to - from) * k) / count;
      const batch = frameQueue;
      frameQueue = [];
      now = Math.max(now, t);
      for (const [, cb] of batch) {
        try { cb(now - docStart); } catch (e) { origSetTimeout(() => { throw e; }, 0); }
      }
    }
  };
  // Intl formatters called without a date format "now": the virtual now.
  try {
    const proto = Intl.DateTimeFormat.prototype;
    const fmt = Object.getOwnPropertyDescriptor(proto, 'format').get;
    Object.defineProperty(proto, 'format', {
      configurable: true,
      get() { const f = fmt.call(this); return (d) => f(d === undefined ? now : d); },
    });
    const parts = proto.formatToParts;
    proto.formatToParts = function (d) { return parts.call(this, d === undefined ? now : d); };
  } catch (_) {}

  const origFetch = window.fetch;
  if (origFetch) {
    window.fetch = function (...args) {
      state.pending++;
      let p;
      try { p = origFetch.apply(this, args); } catch (e) { state.pending--; throw e; }
      return p.finally(() => { state.pending = Math.max(0, state.pending - 1); state.lastMutation = realPerfNow(); });
    };
  }
  const origSend = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    let counted = true;
    state.pending++;
    const done = () => { if (counted) { counted = false; state.pending = Math.max(0, state.pending - 1); state.lastMutation = realPerfNow(); } };
    this.addEventListener('loadend', done, { once: true });
    try { return origSend.apply(this, args); } catch (e) { done(); throw e; }
  };
  const observe = () => {
    new MutationObserver(() => { state.lastMutation = realPerfNow(); })
      .observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  };
  observe();

  // --- WebSockets: they bypass CDP `Fetch` and HAR files cannot answer them, so a socket
  // is refused in the page (error, then close) instead of leaving it to the backstop.
  if (window.WebSocket) {
    const Refused = class extends EventTarget {
      constructor(url) {
        super();
        this.url = String(url); this.readyState = 3; this.protocol = ''; this.extensions = ''; this.bufferedAmount = 0; this.binaryType = 'blob';
        this.onopen = null; this.onmessage = null; this.onerror = null; this.onclose = null;
        console.error(`reprise: WebSocket to ${this.url} refused during replay`);
        setTimeout(() => {
          const err = new Event('error');
          if (typeof this.onerror === 'function') this.onerror(err);
          this.dispatchEvent(err);
          const close = new CloseEvent('close', { code: 1006, reason: 'refused by reprise', wasClean: false });
          if (typeof this.onclose === 'function') this.onclose(close);
          this.dispatchEvent(close);
        }, 0);
      }
      send() {}
      close() {}
    };
    Object.assign(Refused, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
    window.WebSocket = Refused;
  }

  // --- no animations, no caret ---------------------------------------------------------
  const css = `*, *::before, *::after {
    animation-delay: 0s !important; animation-duration: 0s !important;
    animation-iteration-count: 1 !important;
    transition-duration: 0s !important; transition-delay: 0s !important;
    caret-color: transparent !important; scroll-behavior: auto !important; }`;
  const addStyle = () => {
    if (document.getElementById('__reprise-style')) return;
    const style = document.createElement('style');
    style.id = '__reprise-style';
    style.textContent = css;
    (document.head || document.documentElement).appendChild(style);
  };
  if (document.documentElement) addStyle();
  document.addEventListener('DOMContentLoaded', addStyle);

  Object.defineProperty(window, '__repriseShim', {
    value: {
      setNow(t) {
        if (t <= now) return;
        advance(t);
      },
      // Time passes while a step waits on an idle page: the next frame, or the next timer.
      // `limit` is as far as the recording lets time pass in this step (when the person took
      // the next action): a page that needs longer than the person waited is slower than
      // what was recorded, and the step waiting for it fails.
      advanceToNextTimer(limit) {
        const until = typeof limit === 'number' ? limit : Infinity;
        const due = nextDue();
        if (frameQueue.length && (due === null || due > now + FRAME_MS) && now + FRAME_MS <= until) {
          advance(now + FRAME_MS);
          return true;
        }
        if (due === null || due > until) return false;
        advance(Math.max(due, now));
        return true;
      },
      now() { return now; },
      realTimeout: origSetTimeout,
      state,
      realNow: realPerfNow,
    },
    enumerable: false,
  });
})();
