// The Playwright peer of scripts/bench-realapp.sh: what a team would otherwise write, a
// Playwright script of the same Recorder flows, with `playwright-core` on Debian's Chromium (no
// browser download). One browser; per flow one fresh context, the backend answered by
// `routeFromHAR` from the flow's HAR, the app served from its build folder (a real loopback
// server when its origin is 127.0.0.1:PORT, else a `context.route` at its recorded origin), and
// a full screenshot at each place reprise takes a checkpoint (after a navigation, at a
// `checkpoint` custom step, at the end), so both tools do comparable work.
// Prints {"sessions", "failed", "wall_ms"} as one JSON line.
// Usage: node bench/realapp/playwright.mjs SUITE_DIR [OUT_DIR]   (env: CHROMIUM, DEBUG)
// Experiments (docs/performance.md, "Where the CPU goes"): PW_ARGS adds Chromium flags (give it
// reprise's, to see whether they cost anything); PW_SHIM=1 runs reprise's determinism shim in
// every document, as reprise does.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [, , suiteArg, outArg] = process.argv;
const suite = path.resolve(suiteArg);
const out = outArg ? path.resolve(outArg) : fs.mkdtempSync(path.join(os.tmpdir(), 'pw-shots-'));
const TIMEOUT = 5000; // the Recorder's default step timeout, and reprise's
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.ico': 'image/x-icon' };
const toml = fs.readFileSync(path.join(suite, 'reprise.toml'), 'utf8');
const appDir = path.resolve(suite, toml.match(/^dir\s*=\s*"([^"]+)"/m)[1]);
const names = fs.readdirSync(path.join(suite, 'recordings')).filter((f) => f.endsWith('.json')).sort();

function fileFor(urlPath) {
  let p = decodeURIComponent(urlPath);
  if (p.endsWith('/')) p += 'index.html';
  const file = path.join(appDir, p);
  return file.startsWith(appDir) && fs.existsSync(file) ? file : null;
}

const servers = new Map();
/** A static server for the build on the app's loopback port (started once per port). */
async function loopback(origin) {
  if (servers.has(origin)) return;
  const server = http.createServer((req, res) => {
    const file = fileFor(new URL(req.url, origin).pathname);
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(Number(new URL(origin).port), '127.0.0.1', resolve));
  servers.set(origin, server);
}

/** The Recorder's selector alternatives as one Playwright locator (first that matches); `aria/`
 * ones (accessible name, optional `[role="…"]`) last, as role queries are the slowest. */
function locate(frame, selectors) {
  const alts = selectors.map((alt) => (Array.isArray(alt) ? alt : [alt]));
  const locs = alts
    .filter((alt) => !alt[0].startsWith('aria/'))
    .map((alt) =>
      frame.locator(
        alt
          .map((s) => {
            if (s.startsWith('xpath/')) return `xpath=${s.slice(6)}`;
            if (s.startsWith('pierce/')) return `css=${s.slice(7)}`;
            if (s.startsWith('text/')) return `text=${s.slice(5)}`;
            return `css=${s}`; // Playwright's CSS pierces open shadow roots
          })
          .join(' >> '),
      ),
    );
  for (const alt of alts.filter((a) => a[0].startsWith('aria/'))) {
    const m = alt[0].slice(5).match(/^(.*?)(?:\[role="([^"]+)"\])?$/);
    const name = m[1];
    locs.push(m[2] ? frame.getByRole(m[2], { name, exact: true }) : frame.getByLabel(name, { exact: true }).or(frame.getByRole('button', { name, exact: true })));
  }
  let loc = locs[0];
  for (const l of locs.slice(1)) loc = loc.or(l);
  return loc.first();
}

function frameOf(page, indices = []) {
  let f = page.mainFrame();
  for (const i of indices) f = f.childFrames()[i];
  return f;
}

async function replay(browser, name) {
  const stem = name.replace(/\.json$/, '');
  const flow = JSON.parse(fs.readFileSync(path.join(suite, 'recordings', name), 'utf8'));
  const vp = flow.steps.find((s) => s.type === 'setViewport') || { width: 1280, height: 800, deviceScaleFactor: 1 };
  const nav = flow.steps.find((s) => s.type === 'navigate');
  const origin = flow.reprise?.origin || new URL(nav.url).origin;
  const context = await browser.newContext({ viewport: { width: vp.width, height: vp.height }, deviceScaleFactor: vp.deviceScaleFactor || 1, isMobile: !!vp.isMobile, hasTouch: !!vp.hasTouch });
  if (new URL(origin).hostname === '127.0.0.1') {
    await loopback(origin);
  } else {
    await context.route(`${origin}/**`, (route) => {
      const file = fileFor(new URL(route.request().url()).pathname);
      return file ? route.fulfill({ path: file, headers: { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' } }) : route.fulfill({ status: 404 });
    });
  }
  const har = path.join(suite, 'mocks', `${stem}.har`);
  const escaped = origin.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  if (fs.existsSync(har)) await context.routeFromHAR(har, { url: new RegExp(`^(?!${escaped}/)https?://`), notFound: 'abort' });
  if (shim) await context.addInitScript(shim);
  let page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  let shot = 0;
  let navigated = false;
  // A new document (not a same-document pushState), as reprise's marker tells them apart.
  page.on('domcontentloaded', () => { navigated = true; });
  const capture = async (label) => {
    shot += 1;
    await page.screenshot({ path: path.join(out, `${stem}-${String(shot).padStart(2, '0')}-${label}.png`) });
  };
  let lastCaptured = false;
  for (const [n, step] of flow.steps.entries()) {
    try {
    const target = step.target && step.target !== 'main' ? context.pages().find((p) => p.url() === step.target) || (await context.waitForEvent('page')) : null;
    const pg = target || page;
    const frame = frameOf(pg, step.frame);
    navigated = false;
    lastCaptured = false;
    switch (step.type) {
      case 'setViewport':
        await pg.setViewportSize({ width: step.width, height: step.height });
        break;
      case 'navigate':
        await pg.goto(step.url, { waitUntil: 'load' });
        navigated = true;
        break;
      case 'click':
      case 'doubleClick':
        await locate(frame, step.selectors)[step.type === 'click' ? 'click' : 'dblclick']({ position: step.offsetX !== undefined ? { x: step.offsetX, y: step.offsetY } : undefined, button: step.button === 'secondary' ? 'right' : 'left' });
        break;
      case 'hover':
        await locate(frame, step.selectors).hover();
        break;
      case 'change':
        await locate(frame, step.selectors).fill(step.value);
        break;
      case 'keyDown':
        await pg.keyboard.down(step.key);
        break;
      case 'keyUp':
        await pg.keyboard.up(step.key);
        break;
      case 'scroll':
        await frame.evaluate(([x, y]) => window.scrollTo(x, y), [step.x || 0, step.y || 0]);
        break;
      case 'waitForElement': {
        const loc = locate(frame, step.selectors);
        if (step.count !== undefined) {
          const ops = { '==': (a, b) => a === b, '>=': (a, b) => a >= b, '<=': (a, b) => a <= b };
          const deadline = Date.now() + TIMEOUT;
          const base = frame.locator(step.selectors.map((a) => (Array.isArray(a) ? a : [a])).find((a) => !a[0].startsWith('aria/')).map((s) => `css=${s}`).join(' >> '));
          while (!(ops[step.operator || '>='])(await base.count(), step.count)) {
            if (Date.now() > deadline) throw new Error(`waitForElement count ${step.operator} ${step.count} timed out`);
            await pg.waitForTimeout(50);
          }
        } else {
          await loc.waitFor({ state: step.visible === false ? 'hidden' : step.visible ? 'visible' : 'attached' });
        }
        break;
      }
      case 'waitForExpression':
        await frame.waitForFunction(step.expression);
        break;
      case 'close':
        await pg.close();
        break;
      case 'customStep':
        if (step.name === 'checkpoint') {
          await capture(step.parameters?.name || 'checkpoint');
          lastCaptured = true;
        }
        break;
      default:
        break;
    }
    if (navigated && !lastCaptured && !pg.isClosed()) {
      await pg.waitForLoadState('load');
      await capture('page');
      lastCaptured = true;
    }
    if (step.type === 'close' && pg === page) break;
    } catch (e) {
      await context.close();
      throw new Error(`step ${n + 1} (${step.type}): ${e.message}`);
    }
  }
  if (!lastCaptured && !page.isClosed()) await capture('end');
  await context.close();
}

const started = performance.now();
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: (process.env.PW_ARGS || '').split(' ').filter(Boolean) });
const shim = process.env.PW_SHIM === '1'
  ? fs.readFileSync(new URL('../../src/determinism/shim.js', import.meta.url), 'utf8').replace('__REPRISE_CONFIG__', JSON.stringify({ now: 1700000000000, seed: 1 }))
  : null;
let failed = 0;
for (const name of names) {
  try {
    await replay(browser, name);
  } catch (e) {
    failed += 1;
    console.error(`${name}: ${e.message.split('\n')[0]}`);
  }
}
await browser.close();
for (const s of servers.values()) s.close();
if (!outArg) fs.rmSync(out, { recursive: true, force: true });
console.log(JSON.stringify({ sessions: names.length, failed, wall_ms: Math.round(performance.now() - started) }));
