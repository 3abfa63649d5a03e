// A captured pool for the curation figures (docs/curation.md): real Chromium, driven through
// puppeteer-core (Debian's /usr/bin/chromium, no download), browses the demo app with the
// capture snippet installed; the real `reprise collect` stores the sessions in a folder store.
// Everything listens on 127.0.0.1 and is stopped at the end (or on error).
//
//   POOL/suite/app/       the demo app, its API pointed at the local backend, capture.js in
//                         both pages (before the app's scripts)
//   POOL/suite/reprise.toml  `[app] dir = "app"`: what curate's coverage replays serve
//   POOL/store/           the collector's store (SQLite + blobs)
//   POOL/manifest.json    each captured session id with the path the driver took
//
// The mix: the common paths many times, each at its own pace (pauses and typing speed drawn
// per session) and with small variations (which product, which roast badge), and the rare
// ones once or twice (the error state and its retry, the invalid form, the keyboard-only
// path). The snippet has no checkpoint chord (real users press none), so these sessions are
// compared where the runner always compares: after each navigation and at the end. Usage: `import { capturePool } from './curate-capture.mjs'` (bench/curate.mjs).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import puppeteer from 'puppeteer-core';

export const MIX = {
  browse: 30, 'product-detail': 24, search: 20, newsletter: 12, checkout: 10,
  'newsletter-invalid': 2, retry: 1, keyboard: 1,
};
const WRITE = 'bench-write-token-0123456789';
const READ = 'bench-read-token-9876543210';
export const TOKENS = { REPRISE_WRITE_TOKEN: WRITE, REPRISE_READ_TOKEN: READ, REPRISE_REDACT_KEY: 'bench-redaction-key' };
const DETAILS = ['ethiopia-yirgacheffe', 'kenya-nyeri', 'brazil-cerrado'];
const ROASTS = ['kenya-nyeri', 'espresso-blend', 'colombia-huila'];

/// The demo's backend: every exchange of the demo HARs, by method and path. `failNext`
/// makes the next product list answer 503 (the error state `retry` starts from).
function backend(root) {
  const routes = new Map();
  for (const f of fs.readdirSync(path.join(root, 'mocks'))) {
    const har = JSON.parse(fs.readFileSync(path.join(root, 'mocks', f), 'utf8'));
    for (const e of har.log.entries) {
      const u = new URL(e.request.url);
      if (e.response.status >= 400) continue;
      routes.set(`${e.request.method} ${u.pathname}`, { status: e.response.status, text: e.response.content.text || '' });
    }
  }
  const state = { failNext: false };
  const server = http.createServer((req, res) => {
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type, accept', 'access-control-allow-methods': 'GET, POST, OPTIONS' };
    req.on('data', () => {});
    req.on('end', () => {
      if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
      const p = new URL(req.url, 'http://x').pathname;
      if (state.failNext && p === '/api/products') {
        state.failNext = false;
        return res.writeHead(503, { ...cors, 'content-type': 'application/json' }).end('{"error":{"message":"Service unavailable"}}');
      }
      const r = routes.get(`${req.method} ${p}`);
      if (!r) return res.writeHead(404, { ...cors, 'content-type': 'application/json' }).end('{"error":{"message":"no such route"}}');
      res.writeHead(r.status, { ...cors, 'content-type': 'application/json' }).end(r.text);
    });
  });
  return { server, state };
}

function staticFiles(dir) {
  const types = { html: 'text/html; charset=utf-8', js: 'application/javascript', css: 'text/css' };
  return http.createServer((req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    const name = p === '/' ? 'index.html' : p.slice(1);
    if (name.includes('..') || name.includes('/')) return res.writeHead(404).end();
    fs.readFile(path.join(dir, name), (err, bytes) => {
      if (err) return res.writeHead(404).end('not found');
      res.writeHead(200, { 'content-type': types[name.split('.').pop()] || 'application/octet-stream' }).end(bytes);
    });
  });
}

const listen = (server) => new Promise((r) => server.listen(0, '127.0.0.1', () => r(`127.0.0.1:${server.address().port}`)));

/// Starts `reprise collect` on a free port; resolves with its address once it listens.
function startCollector(bin, suite, store, appOrigin) {
  const child = spawn(bin, ['collect', '--listen', '127.0.0.1:0', '--store', store, '-C', suite,
    '--allow-origin', appOrigin, '--idle-timeout', '2'], { env: { ...process.env, ...TOKENS }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (l) => {
      const m = /^listening on http:\/\/(\S+)/.exec(l);
      if (!m) return reject(new Error(`collect: unexpected first line: ${l}`));
      lines.on('line', () => {});
      resolve({ child, addr: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`collect exited ${code}`)));
  });
}

/// One person's pace: pauses between actions and typing speed, drawn per session.
function pace(rnd) {
  const scale = 0.5 + rnd() * 1.5;
  return {
    pause: () => new Promise((r) => setTimeout(r, Math.round((120 + rnd() * 500) * scale))),
    typing: Math.round(15 + rnd() * 90),
  };
}

const text = (p, s, timeout = 10000) => p.waitForFunction((t) => document.body && document.body.innerText.includes(t), { timeout }, s);
const cards = '[data-testid="product-list"] .card';

/// The paths, as the demo's own recordings take them (recordings/*.json), by hand.
const PATHS = {
  async browse(p, { pause }, rnd) {
    await p.waitForSelector(cards);
    await p.mouse.wheel({ deltaY: 300 + Math.round(rnd() * 300) }); await pause();
    const id = ROASTS[Math.floor(rnd() * ROASTS.length)];
    await p.hover(`[data-testid="roast-${id}"]`);
    await p.waitForSelector(`#tip-${id}`, { visible: true }); await pause();
    await p.mouse.wheel({ deltaY: 400 }); await pause();
    await p.hover('#story-title'); await pause();
    return id;
  },
  async 'product-detail'(p, { pause }, rnd) {
    await p.waitForSelector(cards); await pause();
    const id = DETAILS[Math.floor(rnd() * DETAILS.length)];
    await p.click(`[data-testid="product-${id}"] h3`, { count: 2 });
    await p.waitForSelector('[data-testid="detail-stock"]', { visible: true }); await pause();
    await p.click('[data-testid="detail-add"]');
    await p.waitForFunction(() => document.getElementById('cart-count').textContent.trim() === '1'); await pause();
    await p.click('[data-testid="detail-close"]'); await pause();
    return id;
  },
  async search(p, { pause, typing }) {
    await p.waitForSelector(cards); await pause();
    await p.click('[data-testid="search-input"]');
    await p.type('[data-testid="search-input"]', 'berry', { delay: typing });
    await text(p, '3 results'); await pause();
    await p.click('[data-testid="search-input"]', { count: 3 });
    await p.type('[data-testid="search-input"]', 'unicorn', { delay: typing });
    await text(p, 'No coffees match'); await pause();
    await p.keyboard.press('Escape');
    await text(p, '9 results'); await pause();
  },
  async newsletter(p, { pause, typing }) {
    await p.waitForSelector(cards); await pause();
    await p.type('[data-testid="nl-name"]', 'Ada Lovelace', { delay: typing }); await pause();
    await p.type('[data-testid="nl-email"]', 'ada@example.com', { delay: typing }); await pause();
    await p.select('[data-testid="nl-plan"]', 'monthly'); await pause();
    await p.click('[data-testid="nl-terms"]'); await pause();
    await p.click('[data-testid="nl-submit"]');
    await p.waitForSelector('[data-testid="newsletter-success"]:not([hidden])'); await pause();
  },
  async 'newsletter-invalid'(p, { pause, typing }) {
    await p.waitForSelector(cards); await pause();
    await p.type('[data-testid="nl-email"]', 'ada@example', { delay: typing }); await pause();
    await p.click('[data-testid="nl-submit"]');
    await text(p, 'Enter an email address like name@example.com.'); await pause();
    await p.type('[data-testid="nl-name"]', 'Ada', { delay: typing }); await pause();
    await p.click('[data-testid="nl-terms"]');
    await p.waitForFunction(() => !document.getElementById('nl-terms').hasAttribute('aria-invalid')); await pause();
  },
  async checkout(p, { pause, typing }) {
    await p.waitForSelector(cards); await pause();
    await p.click('[data-testid="add-espresso-blend"]'); await pause();
    await p.click('[data-testid="add-kenya-nyeri"]');
    await p.waitForFunction(() => document.getElementById('cart-count').textContent.trim() === '2'); await pause();
    await Promise.all([p.waitForNavigation(), p.click('[data-testid="checkout-link"]')]);
    await p.waitForSelector('[data-testid="inc-espresso-blend"]'); await pause();
    await p.click('[data-testid="inc-espresso-blend"]');
    await p.waitForFunction(() => document.querySelector('[data-testid="qty-espresso-blend"]').textContent.trim() === '2'); await pause();
    for (const [id, v] of [['co-name', 'Grace Hopper'], ['co-email', 'grace@example.com'], ['co-address', '12 Rue de Rivoli'], ['co-postcode', '75004'], ['co-city', 'Paris']]) {
      await p.type(`[data-testid="${id}"]`, v, { delay: typing }); await pause();
    }
    await p.select('[data-testid="co-shipping"]', 'express'); await pause();
    await p.click('[data-testid="place-order"]');
    await text(p, 'RC-260314-1042'); await pause();
  },
  async retry(p, { pause }) {
    await p.waitForSelector('[data-testid="retry"]'); await pause();
    await p.click('[data-testid="retry"]');
    await p.waitForSelector(cards); await pause();
  },
  async keyboard(p, { pause, typing }) {
    await p.waitForSelector(cards); await pause();
    await p.keyboard.press('/'); await pause();
    await p.keyboard.type('kenya', { delay: typing });
    await text(p, '1 result'); await pause();
    await p.keyboard.press('Enter');
    await p.waitForSelector('[data-testid="detail-stock"]', { visible: true }); await pause();
    await p.keyboard.press('Escape'); await pause();
    await p.keyboard.press('Escape');
    await text(p, '9 results'); await pause();
    await p.keyboard.press('ArrowDown'); await pause();
    await p.keyboard.press('ArrowRight'); await pause();
    await p.keyboard.press('Enter');
    await p.waitForSelector('[data-testid="detail-stock"]', { visible: true }); await pause();
    await p.keyboard.press('Tab'); await pause();
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => document.getElementById('cart-count').textContent.trim() === '1'); await pause();
    await p.keyboard.press('Escape'); await pause();
  },
};

/// Captures the pool into `dir` (see the top of this file). Bounded: at most `maxSeconds`
/// of browsing and 45 s per session; a session that fails is left out and counted.
export async function capturePool({ root, bin, dir, mix = MIX, maxSeconds = 1200, seed = 7 }) {
  fs.rmSync(dir, { recursive: true, force: true });
  const suite = path.join(dir, 'suite');
  const app = path.join(suite, 'app');
  const store = path.join(dir, 'store');
  fs.mkdirSync(app, { recursive: true });
  for (const f of fs.readdirSync(path.join(root, 'demo'))) fs.copyFileSync(path.join(root, 'demo', f), path.join(app, f));
  fs.writeFileSync(path.join(suite, 'reprise.toml'), '[app]\ndir = "app"\n');

  const started = [];
  const stop = () => { for (const s of started.reverse()) { try { s(); } catch { /* already stopped */ } } };
  let browser;
  try {
    const be = backend(root);
    const beAddr = await listen(be.server); started.push(() => be.server.close());
    const site = staticFiles(app);
    const appAddr = await listen(site); started.push(() => site.close());
    const col = await startCollector(bin, suite, store, `http://${appAddr}`);
    started.push(() => col.child.kill('SIGTERM'));
    const common = path.join(app, 'common.js');
    fs.writeFileSync(common, fs.readFileSync(common, 'utf8').replace("'https://api.reprise.test'", `'http://${beAddr}'`));
    const tag = `<script src="http://${col.addr}/v1/capture.js" data-token="${WRITE}"></script>\n  `;
    for (const page of ['index.html', 'checkout.html']) {
      const f = path.join(app, page);
      const html = fs.readFileSync(f, 'utf8');
      fs.writeFileSync(f, html.replace('<script src="common.js">', `${tag}<script src="common.js">`));
    }

    browser = await puppeteer.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-dev-shm-usage'],
    });
    let s = seed;
    const rnd = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
    // the kinds in a shuffled order, as people arrive
    const order = Object.entries(mix).flatMap(([k, n]) => Array(n).fill(k)).sort(() => rnd() - 0.5);
    const manifest = { sessions: {}, failed: [], backend: beAddr, app: appAddr, collector: col.addr };
    const t0 = Date.now();
    for (const [i, kind] of order.entries()) {
      if ((Date.now() - t0) / 1000 > maxSeconds) { manifest.failed.push({ kind, why: 'time bound reached' }); continue; }
      const ctx = await browser.createBrowserContext();
      const p = await ctx.newPage();
      await p.setViewport({ width: 1280, height: 800 });
      const who = pace(rnd);
      try {
        if (kind === 'retry') be.state.failNext = true;
        await p.goto(`http://${appAddr}/`, { waitUntil: 'load' });
        const run = PATHS[kind](p, who, rnd);
        const variant = await Promise.race([run, new Promise((_, rej) => setTimeout(() => rej(new Error('45 s per session')), 45000))]);
        const id = await p.evaluate(() => window.reprise && window.reprise.sessionId);
        await p.evaluate(() => window.reprise.flush());
        if (!id) throw new Error('the snippet did not start');
        manifest.sessions[id] = { kind, variant: variant || null, n: i };
      } catch (e) {
        manifest.failed.push({ kind, why: String(e.message || e).split('\n')[0] });
      } finally {
        be.state.failNext = false;
        // leaving the page sends the rest with keepalive
        await p.goto('about:blank').catch(() => {});
        await ctx.close().catch(() => {});
      }
      if ((i + 1) % 10 === 0) console.error(`capture: ${i + 1}/${order.length} sessions (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
    manifest.capture_s = (Date.now() - t0) / 1000;
    // the collector closes each session after 2 s without a batch
    await new Promise((r) => setTimeout(r, 6000));
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
    return manifest;
  } finally {
    if (browser) await browser.close().catch(() => {});
    stop();
  }
}
