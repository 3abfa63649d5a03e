/* reprise capture snippet (docs/capture.md). Built from capture_head.js, the replay's page
   helpers (page.js), the recorder of `reprise record` (recorder.js) and capture.js. */
(() => {
  const W = window, D = document, SS = sessionStorage, now = () => Date.now();
  // Never while reprise replays or records the page, and once per document.
  if (W.__repriseReplay || W.__repriseRecorder || W.__repriseCapture || W !== W.top) return;
  const el = D.currentScript, ds = (el && el.dataset) || {};
  const uc = W.repriseConfig || {};
  const list = (v) => (Array.isArray(v) ? v : String(v || '').split(',')).map((s) => s.trim()).filter(Boolean);
  const src = el && el.src;
  const C = {
    endpoint: (uc.endpoint || ds.endpoint || (src ? new URL(src).origin : '')).replace(/\/+$/, ''),
    token: uc.token || ds.token || '',
    rate: +(uc.sampleRate != null ? uc.sampleRate : ds.sampleRate != null ? ds.sampleRate : 1),
    allow: list(uc.allow || ds.allow),
    deny: list(uc.deny || ds.deny),
    consent: (uc.consent || ds.consent) === 'required',
    mask: list(uc.mask || ds.mask).concat('[data-reprise-mask]'),
    tReq: uc.transformRequest,
    tRes: uc.transformResponse,
  };
  // URL lists: `*` is any run of characters; a pattern without one matches as a prefix.
  const glob = (p) => new RegExp('^' + p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + (p.includes('*') ? '$' : ''));
  const allowed = (u) => (!C.allow.length || C.allow.some((p) => glob(p).test(u))) && !C.deny.some((p) => glob(p).test(u));
  if (!C.endpoint || !allowed(location.href)) return;
  // Tab state that survives reloads: session, window, next seq, the window's start time and
  // whether this session is sampled.
  let S;
  try { S = JSON.parse(SS.getItem('__reprise') || 'null'); } catch (_) { S = null; }
  const id = () => Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
  if (!S) S = { s: id(), w: id(), q: 0, t: now(), in: Math.random() < C.rate };
  const save = () => { try { SS.setItem('__reprise', JSON.stringify(S)); } catch (_) { /* storage full or off */ } };
  save();
  if (!S.in) return;
  const secrets = [];
  const q = [];
  const at = () => now() - S.t;
  W.__repriseRecorderConfig = {
    testIdAttribute: uc.testIdAttribute || 'data-testid',
    privacySelectors: C.mask,
    mask: 'redacted-secret',
    checkpointKey: '\u0000',
    // The recorder's messages: steps and viewports become events, typed secrets are kept
    // here to scrub request bodies, everything else (page announcements, file bytes) stays.
    send: (m) => {
      if (m.t === 'secret') { if (!secrets.includes(m.value)) secrets.push(m.value); }
      else if (m.t === 'step') { const s = m.step; delete s.reprise; q.push({ type: 'step', step: s, t: at() }); }
      else if (m.t === 'viewport') q.push({ type: 'step', t: at(), step: { type: 'setViewport', width: m.width, height: m.height, deviceScaleFactor: m.scale, isMobile: false, hasTouch: false, isLandscape: m.width > m.height } });
    },
  };
  W.__repriseCapture = true;
