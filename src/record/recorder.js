// reprise recorder: runs in every document of the recorded browser before the page's own
// scripts (Page.addScriptToEvaluateOnNewDocument, after page.js) and reports what the person
// does through the CDP binding `__repriseRecord`, one JSON message per action. Values of
// password fields and of elements matching the privacy selectors are replaced here, before
// they leave the page; the secret itself is only sent as a `secret` message so reprise can
// scrub it from captured request bodies in memory (it is never written).
// Configuration arrives as window.__repriseRecorderConfig, defined just before this script.
(() => {
  if (window.__repriseRecorder) return;
  const cfg = window.__repriseRecorderConfig || {};
  const TEST_ID = cfg.testIdAttribute || 'data-testid';
  const PRIVATE = cfg.privacySelectors || [];
  const MASK = cfg.mask || 'redacted-secret';
  const CHORD = cfg.checkpointKey || 'K';
  const binding = window.__repriseRecord;
  const send = (m) => { try { binding(JSON.stringify(m)); } catch (_) { /* page closing */ } };
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();

  // The frame path from the top document, as the Recorder's `frame` field (indices into
  // window.frames); readable across origins.
  const framePath = () => {
    const path = [];
    let w = window;
    try {
      while (w !== w.parent) {
        const p = w.parent;
        let idx = -1;
        for (let i = 0; i < p.frames.length; i++) if (p.frames[i] === w) { idx = i; break; }
        path.unshift(idx < 0 ? 0 : idx);
        w = p;
      }
    } catch (_) { /* an unreachable ancestor: keep what we have */ }
    return path;
  };

  const isPrivate = (el) => {
    if (!el || el.nodeType !== 1) return false;
    if (el.tagName === 'INPUT' && (el.type || '').toLowerCase() === 'password') return true;
    // A field that was once a password field (show/hide toggles) stays private.
    if (el.__repriseWasPassword) return true;
    for (const sel of PRIVATE) {
      try { if (el.closest(sel)) return true; } catch (_) { /* invalid selector: ignored */ }
    }
    return false;
  };

  // --- selectors, ranked like Chrome's Recorder: test id, id, name, aria, CSS path, XPath, text.
  const cssString = (s) => '"' + String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
  // Role and accessible name exactly as the replayer's `aria/` resolver computes them
  // (page.js), so a recorded name always resolves.
  const roleOf = (el) => window.__reprisePage.roleOf(el);
  const unique = (part, el) => {
    try {
      const hits = window.__reprisePage.count([[part]]).elements;
      return hits.length === 1 && hits[0] === el;
    } catch (_) { return false; }
  };
  const toPart = (s) => {
    for (const k of ['aria', 'text', 'xpath', 'pierce']) if (s.startsWith(k + '/')) return { kind: k, value: s.slice(k.length + 1) };
    return { kind: 'css', value: s };
  };
  const uniqueStr = (s, el) => unique(toPart(s), el);
  const idSelector = (el) => {
    const id = el.getAttribute('id');
    if (!id) return null;
    const s = /^[A-Za-z_][\w-]*$/.test(id) ? '#' + id : '[id=' + cssString(id) + ']';
    return el.getRootNode().querySelectorAll(s).length === 1 ? s : null;
  };
  const cssPath = (el) => {
    const parts = [];
    let cur = el;
    while (cur && cur.nodeType === 1) {
      if (cur !== el) {
        const id = idSelector(cur);
        if (id) { parts.unshift(id); break; }
      }
      const tag = cur.tagName.toLowerCase();
      const parent = cur.parentElement;
      if (!parent) { parts.unshift(tag); break; }
      const same = Array.from(parent.children).filter((c) => c.tagName === cur.tagName);
      parts.unshift(same.length > 1 ? `${tag}:nth-child(${Array.from(parent.children).indexOf(cur) + 1})` : tag);
      cur = parent;
    }
    return parts.join(' > ');
  };
  const xpath = (el) => {
    const parts = [];
    let cur = el;
    while (cur && cur.nodeType === 1) {
      const id = cur.getAttribute('id');
      if (id && !id.includes('"') && cur.ownerDocument.querySelectorAll('[id=' + cssString(id) + ']').length === 1) {
        parts.unshift(`//*[@id="${id}"]`);
        return parts.join('/');
      }
      const tag = cur.tagName.toLowerCase();
      const parent = cur.parentElement;
      if (!parent) { parts.unshift('/' + tag); break; }
      const same = Array.from(parent.children).filter((c) => c.tagName === cur.tagName);
      parts.unshift(same.length > 1 ? `${tag}[${same.indexOf(cur) + 1}]` : tag);
      cur = parent;
    }
    return parts.join('/');
  };
  const accName = (el) => window.__reprisePage.accName(el);
  const selectorsOf = (el) => {
    const out = [];
    const add = (s) => { if (s && !out.some((o) => o[0] === s) && uniqueStr(s, el)) out.push([s]); };
    const tid = el.getAttribute(TEST_ID);
    if (tid) add('[' + TEST_ID + '=' + cssString(tid) + ']');
    add(idSelector(el));
    const name = el.getAttribute('name');
    if (name) add(el.tagName.toLowerCase() + '[name=' + cssString(name) + ']');
    const priv = isPrivate(el);
    const role = roleOf(el);
    const an = accName(el);
    if (an && an.length <= 80 && (role || el.hasAttribute('aria-label'))) add('aria/' + an + (role ? `[role="${role}"]` : ''));
    add(cssPath(el));
    add('xpath/' + xpath(el));
    const text = norm(el.textContent);
    if (!priv && text && text.length <= 60 && ['A', 'BUTTON', 'SUMMARY', 'LABEL', 'LI', 'SPAN', 'OPTION', 'TD', 'TH', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'P', 'DIV'].includes(el.tagName)) add('text/' + text);
    // Inside a shadow root: the host's selectors, then the element's path in its root.
    const root = el.getRootNode();
    if (root instanceof ShadowRoot) {
      const host = selectorsOf(root.host);
      const inner = cssPath(el);
      return host.slice(0, 3).map((h) => h.concat([inner]));
    }
    if (!out.length) out.push([cssPath(el)]);
    return out;
  };

  // --- actions
  const clickable = (el) => {
    // Clicks land on the innermost element; record the nearest interactive ancestor, which
    // is what selectors describe well and what the replayer clicks.
    const hit = el.closest && el.closest('a,button,input,select,textarea,label,summary,option,[role],[onclick],[tabindex],[' + TEST_ID + ']');
    return hit || el;
  };
  const textLike = (el) => el && ((el.tagName === 'INPUT' && !['checkbox', 'radio', 'button', 'submit', 'reset', 'image', 'file', 'range', 'color'].includes((el.type || '').toLowerCase())) || el.tagName === 'TEXTAREA' || el.isContentEditable);
  const valueOf = (el) => {
    if (isPrivate(el)) {
      const v = el.isContentEditable ? el.textContent : el.value;
      if (v) send({ t: 'secret', value: v });
      return v ? MASK : '';
    }
    return el.isContentEditable ? el.textContent : el.value;
  };
  const step = (s, el) => {
    const m = { t: 'step', step: s, frame: framePath() };
    if (el) m.step.selectors = selectorsOf(el);
    send(m);
  };

  // Typing: the field's value is kept until something else happens, then sent once as a
  // `change` with the full value (keys that matter are sent after it, so replay types first).
  let pending = null;
  const flush = () => {
    if (!pending) return;
    const el = pending;
    pending = null;
    if (!el.isConnected && !el.__repriseSelectors) return;
    const s = { type: 'change', value: valueOf(el) };
    const m = { t: 'step', step: s, frame: framePath() };
    m.step.selectors = el.isConnected ? selectorsOf(el) : el.__repriseSelectors;
    send(m);
  };
  document.addEventListener('input', (e) => {
    const el = e.composedPath()[0] || e.target;
    if (!e.isTrusted || !textLike(el)) return;
    if (pending && pending !== el) flush();
    if (el.type === 'password') el.__repriseWasPassword = true;
    // Selectors while the field is known to be in place (submitting may remove it).
    el.__repriseSelectors = selectorsOf(el);
    pending = el;
  }, true);
  document.addEventListener('change', (e) => {
    const el = e.composedPath()[0] || e.target;
    if (textLike(el)) { if (e.isTrusted && pending === el) flush(); return; }
    // WebDriver picks options with synthetic events; a select's change is the person's
    // choice either way (pages rarely fire it themselves).
    if (el.tagName === 'SELECT') { flush(); step({ type: 'change', value: valueOf(el) }, el); }
    // Checkboxes and radios are recorded as the clicks that changed them.
  }, true);
  document.addEventListener('focusout', (e) => { if (pending && (e.composedPath()[0] || e.target) === pending) flush(); }, true);

  let lastLabel = null;
  let lastDown = null;
  document.addEventListener('pointerdown', (e) => { if (e.isTrusted) { lastDown = { x: e.clientX, y: e.clientY, t: performance.now() }; flush(); } }, true);
  document.addEventListener('click', (e) => {
    if (!e.isTrusted) return;
    const raw = e.composedPath()[0] || e.target;
    if (!raw || raw.nodeType !== 1) return;
    // Keyboard-activated clicks (detail 0) are replayed by their key steps; the click a
    // label forwards to its control repeats the label's own.
    if (e.detail === 0) return;
    if (lastLabel && lastLabel.control === raw && performance.now() - lastLabel.t < 100) return;
    flush();
    const el = clickable(raw);
    if (el.tagName === 'OPTION' || el.tagName === 'SELECT') return;
    if (el.tagName === 'LABEL') lastLabel = { control: el.control, t: performance.now() };
    const r = el.getBoundingClientRect();
    const s = { type: 'click', offsetX: Math.round(e.clientX - r.left), offsetY: Math.round(e.clientY - r.top) };
    if (e.button === 1) s.button = 'auxiliary';
    if (e.button === 2) s.button = 'secondary';
    step(s, el);
  }, true);
  document.addEventListener('dblclick', (e) => {
    if (!e.isTrusted) return;
    const raw = e.composedPath()[0] || e.target;
    if (!raw || raw.nodeType !== 1) return;
    const el = clickable(raw);
    const r = el.getBoundingClientRect();
    step({ type: 'doubleClick', offsetX: Math.round(e.clientX - r.left), offsetY: Math.round(e.clientY - r.top) }, el);
  }, true);

  const KEYS = ['Enter', 'Tab', 'Escape', 'ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'PageUp', 'PageDown', 'Home', 'End'];
  const down = new Set();
  let scrollIntent = -Infinity;
  document.addEventListener('keydown', (e) => {
    if (!e.isTrusted) return;
    if (e.ctrlKey && e.shiftKey && (e.key || '').toUpperCase() === CHORD) {
      e.preventDefault();
      e.stopImmediatePropagation();
      flush();
      send({ t: 'checkpoint', frame: framePath() });
      return;
    }
    const el = e.composedPath()[0] || e.target;
    const inText = textLike(el);
    // Keys that only move the caret inside a text field are part of typing, not steps.
    const caret = inText && ['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key);
    const space = e.key === ' ' && !inText;
    if ((KEYS.includes(e.key) && !caret) || space) {
      if (['PageUp', 'PageDown', 'ArrowUp', 'ArrowDown', 'Home', 'End', ' '].includes(e.key)) scrollIntent = performance.now();
      flush();
      down.add(e.key);
      step({ type: 'keyDown', key: e.key });
    }
  }, true);
  document.addEventListener('keyup', (e) => {
    if (!e.isTrusted || !down.has(e.key)) return;
    down.delete(e.key);
    step({ type: 'keyUp', key: e.key });
  }, true);

  // Scrolls the person made (wheel, touch, keys, scrollbar), debounced to where they ended;
  // scrolls the page or a click made by itself are reproduced by replaying the same steps.
  const intent = () => { scrollIntent = performance.now(); };
  window.addEventListener('wheel', intent, { capture: true, passive: true });
  window.addEventListener('touchmove', intent, { capture: true, passive: true });
  document.addEventListener('mousedown', (e) => {
    const el = e.target;
    // A press on a scrollbar: inside a scrollable element's box, outside its client area.
    if (!el || el.nodeType !== 1 || el.closest('input,select,textarea,button')) return;
    const st = getComputedStyle(el);
    const scrollable = (el === document.documentElement || /(auto|scroll)/.test(st.overflowX + st.overflowY))
      && (el.scrollHeight > el.clientHeight || el.scrollWidth > el.clientWidth) && el.clientWidth > 0;
    if (scrollable && (e.offsetX > el.clientWidth || e.offsetY > el.clientHeight)) intent();
  }, true);
  const timers = new Map();
  document.addEventListener('scroll', (e) => {
    if (!e.isTrusted || performance.now() - scrollIntent > 1000) return;
    const target = e.target;
    clearTimeout(timers.get(target));
    timers.set(target, setTimeout(() => {
      timers.delete(target);
      if (target === document || target === document.documentElement || target === document.scrollingElement) {
        step({ type: 'scroll', x: Math.round(window.scrollX), y: Math.round(window.scrollY) });
      } else if (target.nodeType === 1) {
        step({ type: 'scroll', x: Math.round(target.scrollLeft), y: Math.round(target.scrollTop) }, target);
      }
    }, 250));
  }, true);

  if (window === window.top) {
    let resizeTimer = null;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => send({ t: 'viewport', width: innerWidth, height: innerHeight, scale: devicePixelRatio }), 300);
    });
    const announce = () => {
      const o = Intl.DateTimeFormat().resolvedOptions();
      send({ t: 'page', url: location.href, title: document.title, width: innerWidth, height: innerHeight, scale: devicePixelRatio, timezone: o.timeZone, locale: navigator.language || o.locale });
    };
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', announce, { once: true });
    else announce();
  }
  // Private fields are masked in the page's own view of what was typed as soon as it leaves:
  // on unload, whatever is pending is flushed through the same masking path.
  window.addEventListener('pagehide', flush, true);
  window.__repriseRecorder = { flush };
})();
