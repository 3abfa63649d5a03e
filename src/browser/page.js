// reprise page helpers, evaluated in the page before each command that needs them
// (defines window.__reprisePage once per document). Selectors arrive as chains of
// {kind, value}: css, aria, text, xpath, pierce; a chain crosses shadow roots and iframes.
if (!window.__reprisePage) {
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const deepAll = (root, css) => {
    const out = [];
    const walk = (r) => {
      r.querySelectorAll(css).forEach((e) => out.push(e));
      r.querySelectorAll('*').forEach((e) => { if (e.shadowRoot) walk(e.shadowRoot); });
    };
    walk(root);
    return out;
  };
  const implicitRole = (el) => {
    const t = el.tagName.toLowerCase();
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (t === 'button' || (t === 'input' && ['button', 'submit', 'reset', 'image'].includes(type))) return 'button';
    if (t === 'a' && el.hasAttribute('href')) return 'link';
    if (t === 'input' && type === 'checkbox') return 'checkbox';
    if (t === 'input' && type === 'radio') return 'radio';
    if (t === 'input' && type === 'search') return 'searchbox';
    if (t === 'input' && ['', 'text', 'email', 'tel', 'url', 'password', 'number'].includes(type)) return 'textbox';
    if (t === 'textarea') return 'textbox';
    if (t === 'select') return el.multiple ? 'listbox' : 'combobox';
    if (/^h[1-6]$/.test(t)) return 'heading';
    if (t === 'img') return 'img';
    if (t === 'ul' || t === 'ol') return 'list';
    if (t === 'li') return 'listitem';
    if (t === 'nav') return 'navigation';
    if (t === 'main') return 'main';
    if (t === 'form') return 'form';
    if (t === 'option') return 'option';
    if (t === 'dialog') return 'dialog';
    return '';
  };
  const roleOf = (el) => (el.getAttribute('role') || '').split(' ')[0] || implicitRole(el);
  const accName = (el) => {
    const lb = el.getAttribute('aria-labelledby');
    if (lb) {
      const text = lb.split(/\s+/).map((id) => { const n = el.ownerDocument.getElementById(id); return n ? norm(n.textContent) : ''; }).join(' ');
      if (norm(text)) return norm(text);
    }
    const al = el.getAttribute('aria-label');
    if (al && norm(al)) return norm(al);
    const t = el.tagName.toLowerCase();
    if (['input', 'textarea', 'select'].includes(t)) {
      if (el.labels && el.labels.length) return norm(Array.from(el.labels).map((l) => l.textContent).join(' '));
      if (el.getAttribute('placeholder')) return norm(el.getAttribute('placeholder'));
      if (['button', 'submit', 'reset'].includes((el.getAttribute('type') || '').toLowerCase())) return norm(el.value);
    }
    if (t === 'img' || (t === 'input' && el.type === 'image')) return norm(el.getAttribute('alt'));
    const role = roleOf(el);
    if (['button', 'link', 'heading', 'option', 'listitem', 'checkbox', 'radio', 'menuitem', 'tab', 'cell', 'treeitem', 'article', 'dialog', 'region'].includes(role)) {
      return norm(el.innerText !== undefined ? el.innerText : el.textContent);
    }
    return norm(el.getAttribute('title'));
  };
  const parseAria = (v) => {
    // "Name[role=\"button\"]" as written by Chrome's Recorder.
    const m = v.match(/^(.*?)(?:\[role="([^"]*)"\])?$/);
    return { name: norm(m ? m[1] : v), role: m && m[2] ? m[2] : null };
  };
  const queryIn = (root, part) => {
    const scope = root.nodeType === 9 || root.nodeType === 11 ? root : root;
    switch (part.kind) {
      case 'css': return Array.from(scope.querySelectorAll(part.value));
      case 'pierce': return deepAll(scope, part.value);
      case 'xpath': {
        const doc = scope.ownerDocument || scope;
        const res = doc.evaluate(part.value, scope, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
        const out = [];
        for (let i = 0; i < res.snapshotLength; i++) { const n = res.snapshotItem(i); if (n.nodeType === 1) out.push(n); }
        return out;
      }
      case 'text': {
        const want = norm(part.value);
        const all = deepAll(scope, '*').filter((e) => !['SCRIPT', 'STYLE', 'HEAD', 'TITLE'].includes(e.tagName));
        const hits = all.filter((e) => norm(e.textContent).includes(want));
        // Innermost elements only: an ancestor of a hit is not itself a hit.
        return hits.filter((e) => !hits.some((o) => o !== e && e.contains(o)));
      }
      case 'aria': {
        const { name, role } = parseAria(part.value);
        // Like the accessibility tree Puppeteer queries: only elements exposed with a role or
        // an explicit label count (a <label> names its control, it is not matched itself).
        const exposed = (e) => roleOf(e) || e.hasAttribute('aria-label') || e.hasAttribute('aria-labelledby');
        return deepAll(scope, '*').filter((e) => exposed(e) && (!role || roleOf(e) === role) && (!name || accName(e) === name));
      }
      default: return [];
    }
  };
  const resolve = (chain) => {
    let roots = [document];
    let found = [];
    for (let i = 0; i < chain.length; i++) {
      found = [];
      for (const r of roots) found.push(...queryIn(r, chain[i]));
      if (i < chain.length - 1) {
        roots = found.map((e) => e.shadowRoot || (e.contentDocument) || e).filter(Boolean);
      }
    }
    return found;
  };
  // Puppeteer's `isVisible` (what its locators and @puppeteer/replay wait for): a non-empty
  // box (`display: none` has none) and `visibility` neither hidden nor collapse. Opacity does
  // not count: a custom checkbox is often an `opacity: 0` input under a styled label, and
  // Puppeteer and Playwright click it.
  const visible = (el) => {
    if (!el.isConnected) return false;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || st.visibility === 'collapse') return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  // Puppeteer's locators wait until a native form control has no `disabled` attribute; other
  // elements (`aria-disabled` included) are always enabled for them.
  const FORM_CONTROLS = ['BUTTON', 'INPUT', 'SELECT', 'TEXTAREA', 'OPTION', 'OPTGROUP'];
  const enabled = (el) => !(FORM_CONTROLS.includes(el.nodeName) && el.hasAttribute('disabled'));
  window.__reprisePage = {
    // First alternative that yields an element wins. Returns {element, index} or null.
    find(alternatives) {
      for (let i = 0; i < alternatives.length; i++) {
        let els = [];
        try { els = resolve(alternatives[i]); } catch (_) { els = []; }
        if (els.length) return { element: els[0], index: i };
      }
      return null;
    },
    count(alternatives, onlyVisible) {
      for (const chain of alternatives) {
        let els = [];
        try { els = resolve(chain); } catch (_) { els = []; }
        if (onlyVisible === true) els = els.filter(visible);
        if (onlyVisible === false) els = els.filter((e) => !visible(e));
        if (els.length) return { count: els.length, elements: els };
      }
      return { count: 0, elements: [] };
    },
    // Why an element cannot be acted on yet, or '' when it can. `mode`: 'inview' (a scroll
    // target: it needs a box to scroll into view), 'hover' (visible), else a click or a
    // change (visible and enabled).
    notActionable(el, mode) {
      if (!el.isConnected) return 'detached from the document';
      if (mode === 'inview') {
        const r = el.getBoundingClientRect();
        return r.width > 0 || r.height > 0 ? '' : 'not rendered (it has no box)';
      }
      if (!visible(el)) return 'not visible';
      if (mode !== 'hover' && !enabled(el)) return 'disabled';
      return '';
    },
    // @puppeteer/replay's `waitForElement` condition: the first alternative with matches
    // gives the elements; their number compares with `count`, and every one of them has the
    // `attributes` and (deeply) the `properties`. Answers {count, ok}.
    waitState(alternatives, operator, count, attributes, properties) {
      let els = [];
      for (const chain of alternatives) {
        try { els = resolve(chain); } catch (_) { els = []; }
        if (els.length) break;
      }
      const n = els.length;
      let ok = operator === '==' ? n === count : operator === '<=' ? n <= count : n >= count;
      const deep = (want, got) => {
        if (want === got) return true;
        if ((want && !got) || (!want && got)) return false;
        if (!(want instanceof Object) || !(got instanceof Object)) return false;
        return Object.entries(want).every(([k, v]) => deep(v, got[k]));
      };
      if (ok && attributes) ok = els.every((e) => Object.entries(attributes).every(([k, v]) => e.getAttribute(k) === v));
      if (ok && properties) ok = els.every((e) => deep(properties, e));
      return { count: n, ok };
    },
    rect(el) { const r = el.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; },
    visible,
    // The recorder names elements the way `aria/` selectors find them.
    roleOf,
    accName,
  };
}
