// reprise determinism shim: runs before the page's own scripts in every document
// (Page.addScriptToEvaluateOnNewDocument). `__REPRISE_CONFIG__` is replaced by reprise with
// {"now": epoch ms, "seed": u32}. Everything here must be idempotent and must never throw.
(() => {
  if (window.__repriseShim) return;
  const cfg = __REPRISE_CONFIG__;
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
  // Short one-shot timers (debounces, deferred renders) count as pending work, so a page is
  // not snapshotted between a keystroke and the update it schedules. Long timers and
  // intervals (clocks, polling) do not: the page would never look settled.
  const origSetTimeout = window.setTimeout.bind(window);
  const origClearTimeout = window.clearTimeout.bind(window);
  const live = new Set();
  window.setTimeout = function (fn, delay, ...rest) {
    const wait = Math.max(0, Number(delay) || 0);
    const short = wait < 1000;
    const due = now + wait;
    let id;
    const wrapped = function () {
      if (live.delete(id)) state.timers = Math.max(0, state.timers - 1);
      // Inside a short timer's callback the clock reads the timer's virtual due time, so code
      // that compares Date.now() with when it scheduled (debounce, throttle) sees the delay it
      // asked for. Outside callbacks the clock stays where the recording put it: letting
      // timers move it for good would make it depend on how many fired before a snapshot.
      const saved = now;
      const moved = short && due > now;
      if (moved) now = due;
      try {
        return typeof fn === 'function' ? fn.apply(this, rest) : (0, eval)(String(fn));
      } finally {
        if (moved && now === due) now = saved;
      }
    };
    id = origSetTimeout(wrapped, delay);
    if (short) { live.add(id); state.timers++; }
    return id;
  };
  window.clearTimeout = function (id) {
    if (live.delete(id)) state.timers = Math.max(0, state.timers - 1);
    return origClearTimeout(id);
  };
  // Intervals (clocks, pollers) keep running in real time, but they read the frozen clock:
  // what they render depends on whether they ticked since the clock last moved. Running each
  // once whenever the clock moves makes that deterministic: the page shows the current
  // virtual time, as it would after a real tick.
  const intervals = new Map();
  const origSetInterval = window.setInterval.bind(window);
  const origClearInterval = window.clearInterval.bind(window);
  window.setInterval = function (fn, delay, ...rest) {
    const id = origSetInterval(fn, delay, ...rest);
    if (typeof fn === 'function') intervals.set(id, () => fn.apply(window, rest));
    return id;
  };
  window.clearInterval = function (id) {
    intervals.delete(id);
    if (live.delete(id)) state.timers = Math.max(0, state.timers - 1);
    return origClearInterval(id);
  };
  const tickIntervals = () => {
    for (const run of Array.from(intervals.values())) {
      try { run(); } catch (e) { setTimeout(() => { throw e; }); }
    }
  };
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
        if (t === now) return;
        now = t;
        tickIntervals();
      },
      state,
      realNow: realPerfNow,
    },
    enumerable: false,
  });
})();
