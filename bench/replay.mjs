// The @puppeteer/replay peer of scripts/bench.sh: replays Chrome Recorder recordings in Debian's
// Chromium (puppeteer-core, no browser download), one fresh browser context per recording, with
// the same inputs as reprise: the app's assets from a folder and every other request answered
// from the session's HAR (Nth identical request -> Nth recorded response, then the last; CORS
// preflights answered), so both tools do the same page work. Prints the wall time in ms.
// Usage: node replay.mjs SUITE_DIR APP_DIR [ORIGIN]
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { createRunner, PuppeteerRunnerExtension, parse } from '@puppeteer/replay';

const [, , suite, appArg, origin = 'https://shop.reprise.test'] = process.argv;
const appDir = path.resolve(appArg);
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json' };
const names = fs.readdirSync(path.join(suite, 'recordings')).filter((f) => f.endsWith('.json')).sort();

function harIndex(file) {
  const byKey = new Map();
  if (!fs.existsSync(file)) return byKey;
  for (const e of JSON.parse(fs.readFileSync(file, 'utf8')).log.entries) {
    const key = `${e.request.method} ${e.request.url}`;
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key).push(e.response);
  }
  return byKey;
}

const started = performance.now();
const browser = await puppeteer.launch({
  executablePath: process.env.REPRISE_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking'],
});
let failed = 0;
for (const name of names) {
  const stem = name.replace(/\.json$/, '');
  const recording = parse(JSON.parse(fs.readFileSync(path.join(suite, 'recordings', name), 'utf8')));
  const har = harIndex(path.join(suite, 'mocks', `${stem}.har`));
  const served = new Map();
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setRequestInterception(true);
  if (process.env.DEBUG) page.on('console', (m) => console.error('console', m.text()));
  page.on('request', (req) => {
    if (req.url().startsWith('data:')) return req.continue();
    const url = new URL(req.url());
    if (url.origin === origin) {
      let p = decodeURIComponent(url.pathname);
      if (p.endsWith('/')) p += 'index.html';
      const file = path.join(appDir, p);
      if (file.startsWith(appDir) && fs.existsSync(file)) {
        return req.respond({ status: 200, contentType: TYPES[path.extname(file)] || 'application/octet-stream', body: fs.readFileSync(file) });
      }
      if (process.env.DEBUG) console.error('404', p);
      return req.respond({ status: 404, body: '' });
    }
    const key = `${req.method()} ${req.url()}`;
    const recorded = har.get(key);
    if (!recorded) {
      if (req.method() === 'OPTIONS') {
        return req.respond({ status: 204, headers: { 'access-control-allow-origin': origin, 'access-control-allow-methods': '*', 'access-control-allow-headers': '*', 'access-control-allow-credentials': 'true' } });
      }
      if (process.env.DEBUG) console.error('unmatched', key);
      return req.abort('failed');
    }
    const n = served.get(key) || 0;
    served.set(key, n + 1);
    const res = recorded[Math.min(n, recorded.length - 1)];
    const headers = {};
    for (const h of res.headers || []) {
      const k = h.name.toLowerCase();
      if (!['content-length', 'content-encoding', 'transfer-encoding'].includes(k)) headers[k] = h.value;
    }
    const c = res.content || {};
    const body = c.text === undefined ? '' : Buffer.from(c.text, c.encoding === 'base64' ? 'base64' : 'utf8');
    return req.respond({ status: res.status, headers, body });
  });
  try {
    const runner = await createRunner(recording, new PuppeteerRunnerExtension(browser, page, { timeout: 10000 }));
    await runner.run();
  } catch (e) {
    failed += 1;
    console.error(`${stem}: ${e.message.split('\n')[0]}`);
  }
  await context.close();
}
await browser.close();
const ms = performance.now() - started;
console.log(JSON.stringify({ sessions: names.length, failed, wall_ms: Math.round(ms) }));
