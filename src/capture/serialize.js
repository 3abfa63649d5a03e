// reprise DOM serializer: one node per line, indented, attributes sorted, live form state
// (value, checked, selected) included, open shadow roots and same-origin iframes descended,
// scripts, comments and reprise's own nodes dropped. Argument: {mask: [css selectors]}.
return (function (opts) {
  const masked = new Set();
  for (const sel of (opts && opts.mask) || []) {
    // An invalid selector must fail the capture: swallowing it would mask nothing and let
    // what it should hide into the baseline.
    let els;
    try { els = document.querySelectorAll(sel); } catch (e) { throw new Error('invalid mask selector `' + String(sel).slice(0, 60) + '`: ' + e.message); }
    els.forEach((e) => masked.add(e));
  }
  const lines = [];
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/\n/g, '&#10;');
  const pad = (d) => '  '.repeat(d);
  const SKIP = new Set(['SCRIPT', 'NOSCRIPT', 'TEMPLATE']);
  const walk = (node, depth) => {
    if (node.nodeType === 3) {
      const t = node.textContent.replace(/\s+/g, ' ').trim();
      if (t) lines.push(pad(depth) + JSON.stringify(t));
      return;
    }
    if (node.nodeType !== 1) return;
    const el = node;
    if (SKIP.has(el.tagName) || el.id === '__reprise-style' || el.hasAttribute('data-reprise-mask')) return;
    const tag = el.tagName.toLowerCase();
    // A masked element shows only that it is there: no attribute or value of it (a private
    // input's value, a data attribute) may reach a snapshot.
    if (masked.has(el)) {
      lines.push(`${pad(depth)}<${tag}>`);
      lines.push(pad(depth + 1) + '[masked]');
      return;
    }
    const attrs = {};
    // chromedriver marks an iframe it switched into with `cd_frame_id_` (a random id per
    // session): not the app's DOM, and it would make every replay of a `frame` step differ.
    for (const a of el.attributes) if (a.name !== 'cd_frame_id_') attrs[a.name] = a.value;
    if (tag === 'input' || tag === 'textarea' || tag === 'select') {
      if (el.type === 'checkbox' || el.type === 'radio') attrs[':checked'] = String(el.checked);
      else if (el.type !== 'password') attrs[':value'] = el.value;
      else attrs[':value'] = el.value ? '••••' : '';
    }
    if (tag === 'option') attrs[':selected'] = String(el.selected);
    if (tag === 'details' || tag === 'dialog') attrs[':open'] = String(el.open);
    const names = Object.keys(attrs).sort();
    const attrText = names.map((n) => ` ${n}="${esc(attrs[n])}"`).join('');
    lines.push(`${pad(depth)}<${tag}${attrText}>`);
    if (tag === 'style') return; // style text is covered by the screenshot
    if (el.shadowRoot) {
      lines.push(pad(depth + 1) + '#shadow-root');
      for (const c of el.shadowRoot.childNodes) walk(c, depth + 2);
    }
    if (tag === 'iframe') {
      let doc = null;
      try { doc = el.contentDocument; } catch (_) {}
      if (doc && doc.documentElement) {
        lines.push(pad(depth + 1) + '#document');
        walk(doc.documentElement, depth + 2);
      }
      return;
    }
    for (const c of el.childNodes) walk(c, depth + 1);
  };
  walk(document.documentElement, 0);
  return lines.join('\n') + '\n';
})(arguments[0]);
