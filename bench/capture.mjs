// What the capture snippet (capture.js, docs/capture.md) costs the page it records: added
// main-thread time per 1,000 user events and per request, with and without the snippet.
//
// A page served on 127.0.0.1 (node:http) with 50 buttons and a key handler, and a JSON API
// (2 KB answers); the same page with the snippet as the first script, sending its batches to
// an ingest endpoint on the same server (answered 202). Debian's Chromium through
// puppeteer-core (no browser download). Per variant and run:
//   - events: 1,000 trusted user events (500 clicks on buttons, 500 key presses on the page)
//     sent through the DevTools protocol, as a person's input arrives;
//   - requests: 200 `fetch` calls made by the page one after another, each read as JSON.
// Main-thread time is Chromium's `TaskDuration` (Performance.getMetrics) before and after,
// including the snippet's batch timer and gzip. Prints medians over RUNS (default 5) runs
// and the added time: (with - without) per 1,000 events and per request.
// Usage: node bench/capture.mjs   (env: RUNS, CHROMIUM=/usr/bin/chromium, BENCH_JSON=PATH)
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const RUNS = Number(process.env.RUNS || 5);
const EVENTS = 1000;
const REQUESTS = 200;
// The snippet as build.rs makes `record::snippet::CAPTURE_JS`: the parts concatenated,
// without comment lines, blank lines and indentation.
const SNIPPET = ['src/record/capture_head.js', 'src/browser/page.js', 'src/record/recorder.js', 'src/record/capture.js']
  .flatMap((f) => fs.readFileSync(path.join(root, f), 'utf8').split('\n'))
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('//'))
  .map((l) => l + '\n')
  .join('');

const payload = JSON.stringify({ items: Array.from({ length: 20 }, (_, i) => ({ id: i, name: `Item ${i}`, text: 'x'.repeat(60) })) });
const page = (withSnippet, port) => `<!doctype html><html><head><title>bench</title>
${withSnippet ? `<script src="http://127.0.0.1:${port}/v1/capture.js" data-token="t"></script>` : ''}
</head><body>
<main>${Array.from({ length: 50 }, (_, i) => `<button data-testid="b${i}" id="b${i}">Button ${i}</button>`).join('')}
<p id="out">0</p></main>
<script>
  let n = 0;
  document.addEventListener('click', (e) => { if (e.target.tagName === 'BUTTON') document.getElementById('out').textContent = String(++n); });
  document.addEventListener('keydown', () => { n++; });
  window.load = async (count) => { for (let i = 0; i < count; i++) { const r = await fetch('/api/items?i=' + i); await r.json(); } return count; };
</script></body></html>`;

let ingested = 0;
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/plain') return res.writeHead(200, { 'content-type': 'text/html' }).end(page(false, port));
  if (url.pathname === '/snippet') return res.writeHead(200, { 'content-type': 'text/html' }).end(page(true, port));
  if (url.pathname === '/v1/capture.js') return res.writeHead(200, { 'content-type': 'application/javascript' }).end(SNIPPET);
  if (url.pathname.startsWith('/api/')) return res.writeHead(200, { 'content-type': 'application/json' }).end(payload);
  if (url.pathname.startsWith('/v1/ingest/')) {
    req.on('data', () => {});
    req.on('end', () => { ingested++; res.writeHead(202, { 'content-type': 'application/json', 'access-control-allow-origin': '*' }).end('{"ok":true,"duplicate":false}'); });
    return;
  }
  res.writeHead(404).end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
// Main-thread time: script (ScriptDuration: what the snippet's listeners, wrappers, timer
// and gzip add) and all tasks (TaskDuration: also style, layout, input handling; noisier).
const times = async (p) => { const m = await p.metrics(); return [m.ScriptDuration * 1000, m.TaskDuration * 1000]; };
const since = async (p, t0) => (await times(p)).map((v, i) => v - t0[i]);

async function measure(variant) {
  const p = await browser.newPage();
  await p.setViewport({ width: 1280, height: 800 });
  await p.goto(`http://127.0.0.1:${port}/${variant}`, { waitUntil: 'load' });
  if (variant === 'snippet' && !(await p.evaluate(() => !!window.reprise))) throw new Error('the snippet did not start');
  const boxes = await p.$$eval('button', (bs) => bs.map((b) => { const r = b.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }));
  let t0 = await times(p);
  for (let i = 0; i < EVENTS / 2; i++) {
    const [x, y] = boxes[i % boxes.length];
    await p.mouse.click(x, y);
    await p.keyboard.press(i % 2 ? 'ArrowDown' : 'a');
  }
  // Let the batch timer run once on what was recorded.
  await new Promise((r) => setTimeout(r, 2200));
  const events = await since(p, t0);
  t0 = await times(p);
  await p.evaluate((n) => window.load(n), REQUESTS);
  await new Promise((r) => setTimeout(r, 2200));
  const requests = await since(p, t0);
  await p.close();
  return { events, requests };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const results = { plain: [], snippet: [] };
await measure('plain'); // warm-up
// Alternating which variant goes first, so drift of a shared machine hits both alike.
for (let i = 0; i < RUNS; i++) for (const v of i % 2 ? ['snippet', 'plain'] : ['plain', 'snippet']) results[v].push(await measure(v));
await browser.close();
server.close();

const med = (v, k, j) => median(results[v].map((r) => r[k][j]));
const out = { runs: RUNS, snippetBytes: Buffer.byteLength(SNIPPET), batchesReceived: ingested };
console.log(`capture.js: ${RUNS} runs (medians), ${ingested} batches received`);
for (const [j, what] of [[0, 'script'], [1, 'all tasks']]) {
  const ev = { without: med('plain', 'events', j), with: med('snippet', 'events', j) };
  const rq = { without: med('plain', 'requests', j), with: med('snippet', 'requests', j) };
  const perEvents = ((ev.with - ev.without) * 1000) / EVENTS, perRequest = (rq.with - rq.without) / REQUESTS;
  out[what] = { eventsMs: ev, requestsMs: rq, addedMsPer1000Events: perEvents, addedMsPerRequest: perRequest };
  console.log(`  main-thread ${what}: ${EVENTS} user events ${ev.without.toFixed(1)} -> ${ev.with.toFixed(1)} ms (+${perEvents.toFixed(1)} ms per 1,000 events); ${REQUESTS} requests ${rq.without.toFixed(1)} -> ${rq.with.toFixed(1)} ms (+${perRequest.toFixed(3)} ms per request)`);
}
if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify(out, null, 2));
