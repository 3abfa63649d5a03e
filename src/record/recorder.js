// reprise recorder: runs in every document of the recorded browser before the page's own
// scripts (Page.addScriptToEvaluateOnNewDocument, after page.js) and reports what the person
// does through the CDP binding `__repriseRecord`, one JSON message per action. Values of
// password fields and of elements matching the privacy selectors are replaced here, before
// they leave the page; the secret itself is only sent as a `secret` message so reprise can
// scrub it from captured request bodies in memory (it is never written).
// Configuration arrives as window.__repriseRecorderConfig, defined just before this script.
// The capture snippet (src/record/snippet.rs) embeds this file: one recorder for both.
(() => {
  // Once per document: a popup's window is reused when it goes from its initial
  // about:blank to its first page, and the listeners below belong to the old document.
  if (window.__repriseRecorder && window.__repriseRecorder.doc === document) return;
  const cfg = window.__repriseRecorderConfig || {};
  const TEST_ID = cfg.testIdAttribute || 'data-testid';
  const PRIVATE = cfg.privacySelectors || [];
  const MASK = cfg.mask || 'redacted-secret';
  const CHORD = cfg.checkpointKey || 'K';
  // Looked up on each message: in a popup the binding may arrive after this script ran. The
  // capture snippet (capture.js) passes its own `send` and takes the messages in the page.
  const send = cfg.send || ((m) => { try { window.__repriseRecord(JSON.stringify(m)); } catch (_) { /* page closing */ } });
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
  // The last element's selectors, kept while the document is unchanged (the observer below
  // counts changes): a click computes them at its press (a drag may start) and at the click,
  // and every candidate's uniqueness check walks the whole document.
  let domGen = 0;
  let memo = null;
  const selectorsOf = (el) => {
    if (memo && memo.el === el && memo.gen === domGen) return memo.sel;
    const sel = rankSelectors(el);
    memo = { el, gen: domGen, sel };
    return sel;
  };
  const rankSelectors = (el) => {
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
  let fileSeq = 0;
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
    // A file input: the step names the files; their bytes follow in `file` messages, which
    // reprise keeps beside the recording (see docs/recording-format.md).
    if (el.tagName === 'INPUT' && (el.type || '').toLowerCase() === 'file') {
      flush();
      const files = Array.from(el.files || []);
      const ids = files.map(() => 'f' + (++fileSeq) + '-' + Math.random().toString(36).slice(2));
      step({ type: 'change', value: el.value, reprise: { files: ids } }, el);
      files.forEach((f, i) => f.arrayBuffer().then((buf) => {
        const bytes = new Uint8Array(buf);
        let bin = '';
        for (let j = 0; j < bytes.length; j += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(j, j + 0x8000));
        send({ t: 'file', id: ids[i], name: f.name, data: btoa(bin) });
      }).catch(() => send({ t: 'file', id: ids[i], name: f.name, error: 'unreadable' })));
      return;
    }
    // WebDriver picks options with synthetic events; a select's change is the person's
    // choice either way (pages rarely fire it themselves).
    if (el.tagName === 'SELECT') { flush(); step({ type: 'change', value: valueOf(el) }, el); }
    // Checkboxes and radios are recorded as the clicks that changed them.
  }, true);
  document.addEventListener('focusout', (e) => { if (pending && (e.composedPath()[0] || e.target) === pending) flush(); }, true);

  let lastLabel = null;
  let lastDown = null;
  document.addEventListener('pointerdown', (e) => { if (e.isTrusted) { hoverRaw = null; dragClick = false; lastDown = { x: e.clientX, y: e.clientY, t: performance.now() }; flush(); } }, true);
  document.addEventListener('click', (e) => {
    if (!e.isTrusted) return;
    const raw = e.composedPath()[0] || e.target;
    if (!raw || raw.nodeType !== 1) return;
    // Keyboard-activated clicks (detail 0) are replayed by their key steps; the click a
    // label forwards to its control repeats the label's own.
    if (e.detail === 0) return;
    if (lastLabel && lastLabel.control === raw && performance.now() - lastLabel.t < 100) return;
    // The click a drag's release makes is part of the drag.
    if (dragClick) { dragClick = false; return; }
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

  // Keys. Outside text fields every key is a step; inside one, typing is recorded as the
  // field's `change`, so only the keys that are not typing are steps: Enter, Tab, Escape,
  // vertical arrows, Page Up/Down, and shortcuts (any key with Control, Alt or Meta held).
  // A modifier becomes a `keyDown` only when a recorded key needs it (so Shift of typed
  // capitals and the checkpoint chord leave nothing), or when pressed and released alone
  // outside a text field. Key ups are matched to their key downs by `code`, so releasing
  // Shift before a letter still releases the letter that was recorded.
  const KEYS = ['Enter', 'Tab', 'Escape', 'ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'PageUp', 'PageDown', 'Home', 'End'];
  const MODIFIERS = ['Shift', 'Control', 'Alt', 'Meta', 'AltGraph'];
  const down = new Map(); // code -> key recorded as down
  const mods = new Map(); // code -> { key, emitted, used, inText }
  let scrollIntent = -Infinity;
  document.addEventListener('keydown', (e) => {
    if (!e.isTrusted) return;
    const key = e.key || '';
    if (!key || key === 'Unidentified' || key === 'Process' || key === 'Dead') return;
    const el = e.composedPath()[0] || e.target;
    const inText = textLike(el);
    if (MODIFIERS.includes(key)) {
      if (!e.repeat && !mods.has(e.code)) mods.set(e.code, { key, emitted: false, used: false, inText });
      return;
    }
    for (const m of mods.values()) m.used = true;
    if (e.ctrlKey && e.shiftKey && key.toUpperCase() === CHORD) {
      e.preventDefault();
      e.stopImmediatePropagation();
      flush();
      send({ t: 'checkpoint', frame: framePath() });
      return;
    }
    // Keys that only move the caret inside a text field are part of typing, not steps.
    const caret = ['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(key);
    const shortcut = e.ctrlKey || e.altKey || e.metaKey;
    const record = !inText || shortcut || (KEYS.includes(key) && !caret);
    if (!record) return;
    if (['PageUp', 'PageDown', 'ArrowUp', 'ArrowDown', 'Home', 'End', ' '].includes(key)) scrollIntent = performance.now();
    flush();
    for (const m of mods.values()) {
      if (!m.emitted) { m.emitted = true; step({ type: 'keyDown', key: m.key }); }
    }
    down.set(e.code || key, key);
    step({ type: 'keyDown', key });
  }, true);
  document.addEventListener('keyup', (e) => {
    if (!e.isTrusted) return;
    const code = e.code || e.key;
    const m = mods.get(code);
    if (m) {
      mods.delete(code);
      if (m.emitted) step({ type: 'keyUp', key: m.key });
      else if (!m.used && !m.inText) { flush(); step({ type: 'keyDown', key: m.key }); step({ type: 'keyUp', key: m.key }); }
      return;
    }
    if (!down.has(code)) return;
    const key = down.get(code);
    down.delete(code);
    step({ type: 'keyUp', key });
  }, true);

  // Hover, only when it changes the page: the DOM changes while the pointer has just entered
  // an element and before any press (a menu a `mouseover`/`mouseenter` handler opens), or a
  // stylesheet rule with `:hover` now applies to an element that changes what is shown
  // (`.menu:hover .submenu { display: block }`). Each element is recorded once per entry.
  let hoverRaw = null;
  let lastPoint = null;
  document.addEventListener('mousemove', (e) => { if (e.isTrusted) lastPoint = [e.clientX, e.clientY]; }, true);
  let hoverAt = -Infinity;
  let hovered = null;
  const recordHover = (raw) => {
    const el = clickable(raw);
    if (hovered === el) return;
    hovered = el;
    flush();
    step({ type: 'hover' }, el);
  };
  let hoverRules = null;
  const cssHoverRules = () => {
    if (hoverRules) return hoverRules;
    hoverRules = [];
    const visit = (rules) => {
      for (const r of rules) {
        if (r.cssRules && !r.selectorText) { try { visit(r.cssRules); } catch (_) { /* */ } continue; }
        if (!r.selectorText || !r.selectorText.includes(':hover')) continue;
        const st = r.style;
        if (!st || !(st.display || st.visibility || st.opacity || st.maxHeight || st.height || st.transform)) continue;
        for (const sel of r.selectorText.split(',')) {
          const i = sel.indexOf(':hover');
          if (i < 0) continue;
          // The element whose hover matters: the selector up to its `:hover`, without pseudo-classes.
          const host = sel.slice(0, i).trim();
          if (host) hoverRules.push({ host, full: sel.trim() });
        }
      }
    };
    for (const sheet of Array.from(document.styleSheets)) { try { visit(sheet.cssRules); } catch (_) { /* cross-origin sheet */ } }
    return hoverRules;
  };
  document.addEventListener('mouseover', (e) => {
    // A button held down is a drag or a press, never a hover.
    if (!e.isTrusted || e.buttons) return;
    const raw = e.composedPath()[0] || e.target;
    if (!raw || raw.nodeType !== 1) return;
    // The pointer must have moved: the browser also sends `mouseover` when the page moves
    // under a still pointer, and that is the page's doing, not the person's.
    const moved = !lastPoint || lastPoint[0] !== e.clientX || lastPoint[1] !== e.clientY;
    lastPoint = [e.clientX, e.clientY];
    if (!moved) return;
    hoverRaw = raw;
    hoverAt = performance.now();
    if (hovered && !hovered.contains(raw)) hovered = null;
    for (const r of cssHoverRules()) {
      let host = null;
      try { host = raw.closest(r.host); } catch (_) { continue; }
      if (host && host.matches(':hover') && document.querySelector(r.full)) { recordHover(host); return; }
    }
  }, true);
  // A change of text alone (a ticking clock, a counter) is not what a hover opens: a clock in
  // the header under the pointer's resting place recorded a `hover` on the header.
  const textOnly = (records) => records.every((r) => r.type === 'characterData'
    || (r.type === 'childList' && [...r.addedNodes, ...r.removedNodes].every((n) => n.nodeType === 3)));
  new MutationObserver((records) => {
    domGen++;
    if (press) press.mutated = true;
    if (!hoverRaw || performance.now() - hoverAt > 300 || textOnly(records)) return;
    const raw = hoverRaw;
    hoverRaw = null;
    if (raw.isConnected) recordHover(raw);
  }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  document.addEventListener('styleSheetsChanged', () => { hoverRules = null; });

  // Drag and drop (HTML5 `draggable` or pointer-driven): a press that moves more than a few
  // pixels before its release is one `customStep` `reprise:drag` from the pressed element to
  // the element under the release, replayed as a pointer press, moves and release.
  let press = null;
  let dragClick = false;
  document.addEventListener('mousedown', (e) => {
    if (!e.isTrusted || e.button !== 0) return;
    const raw = e.composedPath()[0] || e.target;
    if (!raw || raw.nodeType !== 1) return;
    const el = raw.closest('[draggable="true"]') || clickable(raw);
    const r = el.getBoundingClientRect();
    press = { el, x: e.clientX, y: e.clientY, selectors: selectorsOf(el), offsetX: Math.round(e.clientX - r.left), offsetY: Math.round(e.clientY - r.top), dragged: false };
  }, true);
  const endDrag = (x, y, rawTarget) => {
    const p = press;
    press = null;
    if (!p || Math.hypot(x - p.x, y - p.y) < 5 || !(p.html5 || p.mutated)) return;
    let raw = rawTarget && rawTarget.nodeType === 1 ? rawTarget : document.elementFromPoint(x, y);
    if (!raw) return;
    const el = clickable(raw);
    const r = el.getBoundingClientRect();
    flush();
    p.dragged = true;
    dragClick = true;
    send({ t: 'step', frame: framePath(), step: { type: 'customStep', name: 'reprise:drag', parameters: {
      from: { selectors: p.selectors, offsetX: p.offsetX, offsetY: p.offsetY },
      to: { selectors: selectorsOf(el), offsetX: Math.round(x - r.left), offsetY: Math.round(y - r.top) },
    } } });
  };
  document.addEventListener('dragstart', (e) => { if (e.isTrusted && press) press.html5 = true; }, true);
  document.addEventListener('drop', (e) => { if (e.isTrusted) endDrag(e.clientX, e.clientY, e.composedPath()[0] || e.target); }, true);
  document.addEventListener('dragend', () => { press = null; }, true);
  document.addEventListener('mouseup', (e) => { if (e.isTrusted && press) endDrag(e.clientX, e.clientY, null); }, true);

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
  window.__repriseRecorder = { flush, doc: document };
})();
