// Compatibility of reprise with the Chrome Recorder's own replay, on the real-app corpus
// (corpus/suites/*: apps built with React, Vue, Svelte, Preact and Lit by
// scripts/build-corpus.sh). Every flow is replayed
//   - by @puppeteer/replay (puppeteer-core on Debian's chromium, no browser download): the
//     app's dist/ served on 127.0.0.1 (the recording's app origin rewritten to it), the backend
//     (https://api.corpus.test) answered from the flow's HAR by request interception;
//   - by reprise: `reprise run -u` on a temporary copy of the app's suite (baselines), then
//     `reprise run --repeat RUNS` (default 5): each run's session statuses and capture digests.
// Prints a table: flow, peer completed, reprise completed, reprise verdict stable over RUNS
// runs (same status every run and byte-identical captures), and the reasons of failures.
// Usage: node bench/compat.mjs [SUITE…]   (env: REPRISE_BIN, RUNS, JOBS, COMPAT_JSON=PATH,
// CORPUS=another suites folder, PEER_ONLY=1 to replay with @puppeteer/replay alone)
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import puppeteer from 'puppeteer-core';
import { createRunner, PuppeteerRunnerExtension, parse } from '@puppeteer/replay';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const corpus = path.resolve(process.env.CORPUS || path.join(root, 'corpus', 'suites'));
const PEER_ONLY = process.env.PEER_ONLY === '1';
const reprise = process.env.REPRISE_BIN || path.join(root, 'target', 'debug', 'reprise');
const RUNS = Number(process.env.RUNS || 5);
const JOBS = process.env.JOBS || '2';
const TIMEOUT = 5000; // the Recorder's default step timeout, and reprise's
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.ico': 'image/x-icon' };
const suites = process.argv.slice(2).length ? process.argv.slice(2) : fs.readdirSync(corpus).sort();

/** The folder `[app] dir` of a suite's reprise.toml names (relative to the suite). */
function appDir(suite) {
  const toml = fs.readFileSync(path.join(corpus, suite, 'reprise.toml'), 'utf8');
  const m = toml.match(/^dir\s*=\s*"([^"]+)"/m);
  if (!m) throw new Error(`${suite}/reprise.toml has no [app] dir`);
  return path.resolve(corpus, suite, m[1]);
}

/** A static server for a dist/ folder, falling back to index.html as `vite preview` does. */
function serve(dir) {
  const server = http.createServer((req, res) => {
    let p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (p.endsWith('/')) p += 'index.html';
    let file = path.join(dir, p);
    if (!file.startsWith(dir) || !fs.existsSync(file)) file = path.extname(p) ? null : path.join(dir, 'index.html');
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** A flow's HAR as `METHOD URL BODY` -> responses in order (the Nth request gets the Nth). */
function harIndex(file) {
  const byKey = new Map();
  if (!fs.existsSync(file)) return byKey;
  for (const e of JSON.parse(fs.readFileSync(file, 'utf8')).log.entries) {
    const key = requestKey(e.request.method, e.request.url, e.request.postData?.text);
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key).push(e.response);
  }
  return byKey;
}

function requestKey(method, url, body) {
  let b = body || '';
  try {
    b = JSON.stringify(JSON.parse(b)); // JSON compared as values, as reprise does
  } catch {}
  return `${method} ${url} ${b}`;
}

/** The origin of a recording's first navigate (or its `reprise.origin`). */
function appOrigin(flow) {
  if (flow.reprise?.origin) return flow.reprise.origin;
  const nav = flow.steps.find((s) => s.type === 'navigate');
  return new URL(nav.url).origin;
}

async function replayWithPeer(browser, suite, stem, port) {
  const text = fs.readFileSync(path.join(corpus, suite, 'recordings', `${stem}.json`), 'utf8');
  const origin = appOrigin(JSON.parse(text));
  const local = `http://127.0.0.1:${port}`;
  const flow = parse(JSON.parse(text.split(origin).join(local)));
  const har = harIndex(path.join(corpus, suite, 'mocks', `${stem}.har`));
  const served = new Map();
  const unmatched = [];
  const context = await browser.createBrowserContext();
  const hooked = new WeakSet();
  const intercept = async (page) => {
    if (hooked.has(page)) return;
    hooked.add(page);
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      const url = req.url();
      if (url.startsWith('data:') || url.startsWith(local)) return req.continue();
      const cors = { 'access-control-allow-origin': req.headers().origin || local, 'access-control-allow-credentials': 'true' };
      if (req.method() === 'OPTIONS') {
        return req.respond({ status: 204, headers: { ...cors, 'access-control-allow-methods': '*', 'access-control-allow-headers': '*' } });
      }
      const key = requestKey(req.method(), url, req.postData());
      const recorded = har.get(key);
      if (!recorded) {
        unmatched.push(`${req.method()} ${url}`);
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
      // The app runs on 127.0.0.1 here, not at its recorded origin: CORS names the page's origin.
      return req.respond({ status: res.status, headers: { ...headers, ...cors }, body });
    });
  };
  context.on('targetcreated', async (t) => {
    if (t.type() !== 'page') return;
    const p = await t.page();
    if (p) await intercept(p).catch(() => {});
  });
  const page = await context.newPage();
  await intercept(page);
  let error = null;
  try {
    const runner = await createRunner(flow, new PuppeteerRunnerExtension(browser, page, { timeout: TIMEOUT }));
    await runner.run();
  } catch (e) {
    error = e.message.split('\n')[0];
  }
  await context.close();
  if (unmatched.length && !error) error = `unmatched: ${unmatched.join(', ')}`;
  return { completed: error === null, error };
}

function run(args, cwd) {
  const r = spawnSync(reprise, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: '' } });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Digest of every capture (DOM and PNG) of each session in one run's output folder. */
function captureDigests(out) {
  const digests = {};
  for (const s of fs.existsSync(out) ? fs.readdirSync(out) : []) {
    const d = path.join(out, s);
    if (!fs.statSync(d).isDirectory()) continue;
    const h = crypto.createHash('sha256');
    for (const f of fs.readdirSync(d).filter((f) => /\.actual\.(dom|png)$/.test(f)).sort()) {
      h.update(f).update(fs.readFileSync(path.join(d, f)));
    }
    digests[s] = h.digest('hex').slice(0, 16);
  }
  return digests;
}

/** Why a session did not complete: its error, and where it first diverged from the recording. */
function reasonOf(session) {
  if (!session) return 'no session in the report';
  const d = session.divergence;
  const why = d ? ` (first divergence at step ${d.step}: ${[d.summary, ...(d.details || [])].join('; ')})` : '';
  return `${session.error || session.status}${why}`.replace(/\s+/g, ' ');
}

async function replayWithReprise(suite) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `compat-${suite}-`));
  fs.cpSync(path.join(corpus, suite), tmp, { recursive: true });
  fs.rmSync(path.join(tmp, 'snapshots'), { recursive: true, force: true });
  fs.rmSync(path.join(tmp, '.reprise'), { recursive: true, force: true });
  fs.writeFileSync(path.join(tmp, 'reprise.toml'), `[app]\ndir = "${appDir(suite)}"\n`);
  const report = path.join(tmp, 'report.json');
  const first = run(['run', '-u', '--jobs', JOBS, '--report', `json=${report}`], tmp);
  const firstReport = JSON.parse(fs.readFileSync(report, 'utf8'));
  const result = {};
  for (const s of firstReport.sessions) {
    const completed = s.steps_total === s.steps_completed && !['broken', 'error'].includes(s.status);
    result[s.id] = { completed, firstStatus: s.status, reason: completed ? null : reasonOf(s), statuses: [], digests: [] };
  }
  if (first.code === 3) throw new Error(`reprise could not start:\n${first.out}`);
  // `--repeat` replays the suite RUNS times, keeping every run's report and captures.
  run(['run', '--repeat', String(RUNS), '--jobs', JOBS], tmp);
  for (let i = 1; i <= RUNS; i += 1) {
    const dir = path.join(tmp, '.reprise', 'out', 'repeat', `run-${String(i).padStart(2, '0')}`);
    const r = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
    const digests = captureDigests(dir);
    for (const s of r.sessions) {
      result[s.id].statuses.push(s.status);
      result[s.id].digests.push(digests[s.id] || 'none');
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  return result;
}

if (!PEER_ONLY && !fs.existsSync(reprise)) {
  console.error(`compat: no reprise binary at ${reprise} (cargo build, or set REPRISE_BIN)`);
  process.exit(2);
}
const browser = await puppeteer.launch({
  executablePath: process.env.REPRISE_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking'],
});
const rows = [];
for (const suite of suites) {
  const server = await serve(appDir(suite));
  const port = server.address().port;
  const stems = fs.readdirSync(path.join(corpus, suite, 'recordings')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  const peer = {};
  for (const stem of stems) peer[stem] = await replayWithPeer(browser, suite, stem, port);
  server.close();
  const ours = PEER_ONLY ? {} : await replayWithReprise(suite);
  for (const stem of stems) {
    const r = ours[stem] || { completed: false, reason: 'not in the report', statuses: [], digests: [] };
    const stable = r.statuses.length === RUNS && new Set(r.statuses).size === 1 && new Set(r.digests).size === 1 && r.digests[0] !== 'none';
    rows.push({ flow: `${suite}/${stem}`, peer: peer[stem], reprise: r, stable, verdict: r.statuses[0] || r.firstStatus });
  }
}
await browser.close();

const yn = (b) => (b ? 'yes' : 'NO');
console.log(`| flow | peer completed | reprise completed | reprise verdict stable over ${RUNS} runs |`);
console.log('| --- | --- | --- | --- |');
for (const r of rows) {
  const ours = PEER_ONLY ? '- | -' : `${yn(r.reprise.completed)} | ${yn(r.stable)} (${[...new Set(r.reprise.statuses)].join('/') || r.verdict})`;
  console.log(`| ${r.flow} | ${yn(r.peer.completed)} | ${ours} |`);
}
const n = rows.length;
const peerOk = rows.filter((r) => r.peer.completed);
const both = peerOk.filter((r) => r.reprise.completed);
console.log(`\npeer completed ${peerOk.length}/${n}; reprise completed ${rows.filter((r) => r.reprise.completed).length}/${n}; parity (reprise completes what the peer completes) ${both.length}/${peerOk.length}; stable ${rows.filter((r) => r.stable).length}/${n}`);
for (const r of rows) {
  if (!r.peer.completed) console.log(`peer     ${r.flow}: ${r.peer.error}`);
  if (PEER_ONLY) continue;
  if (!r.reprise.completed) console.log(`reprise  ${r.flow}: ${r.reprise.reason}`);
  if (!r.stable) console.log(`unstable ${r.flow}: statuses ${r.reprise.statuses.join(',')} captures ${r.reprise.digests.join(',')}`);
}
if (process.env.COMPAT_JSON) fs.writeFileSync(process.env.COMPAT_JSON, JSON.stringify(rows, null, 2));
