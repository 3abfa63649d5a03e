// Curation figures (docs/curation.md), on a pool captured for real: bench/curate-capture.mjs
// drives real Chromium through 100 sessions of the demo app with the capture snippet, into a
// real `reprise collect` store. Then:
//   1. `reprise curate --store … --coverage --measure-overhead`: every session replayed twice
//      with coverage (and once without, for the overhead);
//   2. the pool's coverage against the budget for the greedy choice (`curate
//      --budget-sessions N`), random choices (mean of 20 draws) and all sessions, as an SVG
//      written by hand;
//   3. the mutation proof by replay: baselines from the unmutated app, then for each
//      regression of tests/mutations.rs the mutated app and `reprise run --affected FILE`
//      (sessions whose stored coverage cannot touch the file are skipped by reprise itself);
//      which sessions fail gives the catches of the curated set, the whole pool and random
//      draws (see `replayed` below for which sessions are replayed);
//   4. selection over 10,000 synthetic sessions, timed.
// Bounded: capture at most CAPTURE_S (default 1200) seconds, mutation replays at most
// MUTATION_S (default 2400) seconds (what is left is reported as not measured).
//
// Usage: node bench/curate.mjs [REPRISE_BINARY] [OUT_DIR]   (scripts/bench-curate.sh)
// env: REBUILD_POOL=1 captures again, REMEASURE=1 measures coverage again.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { capturePool, MIX, TOKENS } from './curate-capture.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const bin = path.resolve(process.argv[2] || path.join(root, 'target/release/reprise'));
const out = path.resolve(process.argv[3] || path.join(root, 'bench/out'));
fs.mkdirSync(out, { recursive: true });
const say = (s) => console.log(s);

const POOL = path.join(os.tmpdir(), 'reprise-curate-captured');
const suite = path.join(POOL, 'suite');
const store = path.join(POOL, 'store');
const poolDir = path.join(suite, '.reprise/store-pool');
const run = (args, opts = {}) => execFileSync(bin, args, { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ...TOKENS }, stdio: ['ignore', 'pipe', 'inherit'], ...opts });

if (!fs.existsSync(path.join(POOL, 'manifest.json')) || process.env.REBUILD_POOL) {
  const m = await capturePool({ root, bin, dir: POOL, maxSeconds: Number(process.env.CAPTURE_S || 1200) });
  say(`captured ${Object.keys(m.sessions).length} sessions in ${m.capture_s.toFixed(0)} s (${m.failed.length} failed: ${JSON.stringify(m.failed)})`);
}
const manifest = JSON.parse(fs.readFileSync(path.join(POOL, 'manifest.json'), 'utf8'));
const kindOf = (id) => manifest.sessions[id]?.kind || '?';

let overhead = null;
const overheadFile = path.join(POOL, 'overhead.txt');
if (!fs.existsSync(path.join(poolDir, '.reprise/coverage')) || process.env.REMEASURE) {
  const t = Date.now();
  const r = spawnSync(bin, ['curate', '--store', store, '-C', suite, '--coverage', '--measure-overhead', '--budget-sessions', '10', '--format', 'json', '-j', '2'],
    { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ...TOKENS } });
  process.stderr.write(r.stderr);
  if (r.status !== 0) throw new Error(`curate --coverage exited ${r.status}`);
  fs.writeFileSync(overheadFile, r.stderr);
  say(`coverage of the pool measured in ${((Date.now() - t) / 1000).toFixed(0)} s`);
}
if (fs.existsSync(overheadFile)) overhead = fs.readFileSync(overheadFile, 'utf8').split('\n').filter((l) => /^(overhead|coverage):/.test(l));

// Coverage units (JS blocks, CSS rules) per session, from what curate stored.
const cov = {};
let setAside = 0;
for (const f of fs.readdirSync(path.join(poolDir, '.reprise/coverage'))) {
  const c = JSON.parse(fs.readFileSync(path.join(poolDir, '.reprise/coverage', f), 'utf8'));
  // `units`: JS blocks and CSS rules, what the coverage figures count; `views`: what the
  // session's checkpoints showed (view units), which selection weighs too.
  if (c.agreed) cov[c.session] = { units: new Set(c.units.filter((u) => !u.startsWith('view:'))), views: new Set(c.units.filter((u) => u.startsWith('view:'))), ms: Math.min(...c.replay_ms) };
  else setAside++;
}
const ids = Object.keys(cov).sort();
const all = new Set(ids.flatMap((id) => [...cov[id].units]));
const allViews = new Set(ids.flatMap((id) => [...cov[id].views]));
const viewShare = (set) => { const u = new Set(); for (const id of set) for (const x of cov[id]?.views || []) u.add(x); return allViews.size ? u.size / allViews.size : 1; };
const share = (set) => { const u = new Set(); for (const id of set) for (const x of cov[id]?.units || []) u.add(x); return u.size / all.size; };
const curate = (b) => JSON.parse(run(['curate', '--store', store, '-C', suite, '--budget-sessions', String(b), '--format', 'json'])).selected.map((s) => s.id);

let seed = 11;
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const draw = (n) => [...ids].sort(() => rnd() - 0.5).slice(0, n);
const budgets = Array.from({ length: 15 }, (_, i) => i + 1);
const rows = [];
for (const b of budgets) {
  const sel = curate(b);
  let r = 0;
  for (let d = 0; d < 20; d++) r += share(draw(b)) / 20;
  // view units' random share from draws of their own, so the JS/CSS draws stay as before
  let rv = 0;
  const saved = seed;
  seed = 1000 + b;
  for (let d = 0; d < 20; d++) rv += viewShare(draw(b)) / 20;
  seed = saved;
  rows.push({ budget: b, greedy: share(sel), random: r, all: share(ids), chosen: sel, greedy_views: viewShare(sel), random_views: rv });
}
const chosen10 = rows[9].chosen;
say(`pool: ${ids.length} sessions with agreeing coverage (${setAside} set aside), ${all.size} units (JS, CSS) and ${allViews.size} view units; curated 10: ${chosen10.map((id) => `${id.slice(0, 6)}(${kindOf(id)})`).join(' ')}`);

// --- 3. the mutation proof, by replay --------------------------------------------------
// The regressions of tests/mutations.rs, read from its table: each `regression(` call's
// string literals are id, description, file, from, to (and the sessions it names, unused
// here: which sessions fail is measured).
function regressions() {
  const src = fs.readFileSync(path.join(root, 'tests/mutations.rs'), 'utf8');
  const table = src.slice(src.indexOf('const MUTATIONS'));
  const found = [];
  const re = /\n {4}regression\(([\s\S]*?)\n {4}\)([^\n]*)/g;
  let m;
  while ((m = re.exec(table))) {
    if (m[2].includes('known_gap') || table.slice(m.index + m[0].length, m.index + m[0].length + 30).includes('.known_gap(')) continue;
    const lits = [];
    const lit = /r(#*)"([\s\S]*?)"\1|"((?:[^"\\]|\\.)*)"/g;
    const unescape = (x) => x.replace(/\\(u\{([0-9a-fA-F]+)\}|.)/g, (_, c, hex) => (hex ? String.fromCodePoint(parseInt(hex, 16)) : ({ n: '\n', t: '\t', r: '\r', 0: '\0' }[c] ?? c)));
    let l;
    while ((l = lit.exec(m[1]))) lits.push(l[2] !== undefined ? l[2] : unescape(l[3]));
    const [id, , file, from, to] = lits;
    found.push({ id, file: file.replace(/^demo\//, ''), from, to });
  }
  return found;
}

// Sessions are grouped by what a replay does: the same steps (types, selectors, keys,
// values; not the timing) and the same measured coverage (units and view units). Every curated session is
// replayed, and at least two members of every group (all of a smaller one), so a group
// whose members disagree under some mutation shows it; the other members take their
// group's result (a group whose replayed members disagree counts as caught only by the
// members that failed, and is reported).
const groupOf = {};
const groups = {};
for (const id of ids) {
  const rec = JSON.parse(fs.readFileSync(path.join(poolDir, 'recordings', `${id}.json`), 'utf8'));
  const steps = rec.steps.map((s) => [s.type, s.selectors, s.key, s.value, s.url && new URL(s.url).pathname]);
  const key = JSON.stringify([steps, [...cov[id].units].sort(), [...cov[id].views].sort()]);
  (groups[key] ||= []).push(id);
}
Object.values(groups).forEach((g, i) => g.forEach((id) => { groupOf[id] = i; }));
const groupList = Object.values(groups);
const replayed = new Set(chosen10);
for (const g of groupList) g.slice(0, 2).forEach((id) => replayed.add(id));
say(`${groupList.length} groups of identical steps and coverage; ${replayed.size} sessions replayed per mutation`);

const rs = path.join(POOL, 'replay');
fs.rmSync(rs, { recursive: true, force: true });
for (const d of ['recordings', 'mocks', '.reprise/coverage']) fs.mkdirSync(path.join(rs, d), { recursive: true });
fs.cpSync(path.join(suite, 'app'), path.join(rs, 'app'), { recursive: true });
fs.writeFileSync(path.join(rs, 'reprise.toml'), '[app]\ndir = "app"\n');
for (const id of replayed) {
  fs.copyFileSync(path.join(poolDir, 'recordings', `${id}.json`), path.join(rs, 'recordings', `${id}.json`));
  fs.copyFileSync(path.join(poolDir, 'mocks', `${id}.har`), path.join(rs, 'mocks', `${id}.har`));
  fs.copyFileSync(path.join(poolDir, '.reprise/coverage', `${id}.json`), path.join(rs, '.reprise/coverage', `${id}.json`));
}
const replay = (args) => {
  const report = path.join(rs, 'report.json');
  fs.rmSync(report, { force: true });
  const t = Date.now();
  const r = spawnSync(bin, ['run', ...args, '-j', '2', '--report', `json=${report}`], { cwd: rs, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
  const rep = fs.existsSync(report) ? JSON.parse(fs.readFileSync(report, 'utf8')) : { sessions: [] };
  return { code: r.status, s: (Date.now() - t) / 1000, sessions: Object.fromEntries(rep.sessions.map((x) => [x.id, x.status])), stderr: r.stderr };
};
let t = Date.now();
const base = replay(['-u']);
say(`baselines: ${Object.keys(base.sessions).length} sessions recorded in ${base.s.toFixed(0)} s (exit ${base.code})`);
const control = replay([]);
const unstable = Object.entries(control.sessions).filter(([, st]) => st !== 'passed').map(([id]) => id);
say(`control run on the unmutated app: exit ${control.code}, ${unstable.length} session(s) not passed ${unstable.join(' ')}`);

const budgetS = Number(process.env.MUTATION_S || 2400);
const results = [];
t = Date.now();
for (const m of regressions()) {
  if ((Date.now() - t) / 1000 > budgetS) { results.push({ id: m.id, skipped: 'time bound' }); continue; }
  const f = path.join(rs, 'app', m.file);
  const before = fs.readFileSync(f, 'utf8');
  if (before.split(m.from).length !== 2) { results.push({ id: m.id, skipped: '`from` not found once' }); continue; }
  fs.writeFileSync(f, before.replace(m.from, m.to));
  let r;
  try { r = replay(['--affected', `app/${m.file}`, '--allow-empty']); } finally { fs.writeFileSync(f, before); }
  const failed = Object.entries(r.sessions).filter(([id, st]) => st !== 'passed' && !unstable.includes(id)).map(([id]) => id);
  results.push({ id: m.id, file: m.file, exit: r.code, ran: Object.keys(r.sessions).length, failed, seconds: r.s });
  say(`  ${m.id}: ${Object.keys(r.sessions).length} replayed (${replayed.size - Object.keys(r.sessions).length} skipped by --affected), ${failed.length} failed, exit ${r.code}, ${r.s.toFixed(0)} s`);
}
const measured = results.filter((r) => !r.skipped);
// Did the replayed members of each group agree, for every mutation?
const disagreements = [];
for (const r of measured) {
  for (const g of groupList) {
    const seen = g.filter((id) => replayed.has(id));
    const v = new Set(seen.map((id) => r.failed.includes(id)));
    if (v.size > 1) disagreements.push({ mutation: r.id, sessions: seen.map((id) => [id, r.failed.includes(id)]) });
  }
}
// A session catches a mutation when its replay failed; a member not replayed takes its
// group's result when the group's replayed members agree.
const catches = (id, r) => {
  if (replayed.has(id)) return r.failed.includes(id);
  const seen = groupList[groupOf[id]].filter((x) => replayed.has(x));
  return seen.length > 0 && seen.every((x) => r.failed.includes(x));
};
const caughtBy = (set) => measured.filter((r) => set.some((id) => catches(id, r))).length;
const pool = caughtBy(ids);
const curated = caughtBy(chosen10);
let seed2 = 11;
const rnd2 = () => { seed2 = (seed2 * 1103515245 + 12345) % 2147483648; return seed2 / 2147483648; };
let rsum = 0;
for (let d = 0; d < 20; d++) rsum += caughtBy([...ids].sort(() => rnd2() - 0.5).slice(0, 10)) / 20;
const proof = { regressions: results.length, measured: measured.length, pool, curated, random10: rsum, disagreements, unstable, results };
say(`mutation proof by replay: ${measured.length} of ${results.length} regressions measured; the pool catches ${pool}, the curated 10 catch ${curated}, 10 random ${rsum.toFixed(2)} (mean of 20 draws); ${disagreements.length} group disagreement(s)`);

const synth = JSON.parse(run(['curate', '--synthetic', '10000', '--budget-sessions', '100']));
const figures = { pool: ids.length, set_aside: setAside, units: all.size, view_units: allViews.size, kinds: Object.fromEntries(Object.keys(MIX).map((k) => [k, ids.filter((id) => kindOf(id) === k).length])), capture: { seconds: manifest.capture_s, failed: manifest.failed }, overhead, rows, proof, synthetic: synth };
fs.writeFileSync(path.join(out, 'curate.json'), JSON.stringify(figures, null, 2));

// The SVG, by hand: coverage (0..1) against budget, one polyline per strategy.
const W = 640, H = 400, L = 60, R = 20, T = 30, B = 50;
const x = (b) => L + ((b - 1) / (budgets.length - 1)) * (W - L - R);
const y = (v) => T + (1 - v) * (H - T - B);
const line = (key, color, dash = '') => `<polyline fill="none" stroke="${color}" stroke-width="2" ${dash && `stroke-dasharray="${dash}"`} points="${rows.map((r) => `${x(r.budget).toFixed(1)},${y(r[key]).toFixed(1)}`).join(' ')}"/>`;
const grid = [0, 0.25, 0.5, 0.75, 0.95, 1].map((v) => `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${L - 8}" y="${y(v) + 4}" text-anchor="end" font-size="11">${Math.round(v * 100)}%</text>`).join('');
const xt = budgets.map((b) => `<text x="${x(b)}" y="${H - B + 16}" text-anchor="middle" font-size="11">${b}</text>`).join('');
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">Pool coverage (JS blocks + CSS rules) by budget, ${ids.length} captured demo sessions</text>
${grid}${xt}
<text x="${W / 2}" y="${H - 12}" text-anchor="middle" font-size="12">budget (sessions)</text>
${line('all', '#888', '4 3')}${line('random', '#d62728')}${line('greedy', '#1f77b4')}
<g font-size="12"><rect x="${W - 190}" y="${y(0.3)}" width="170" height="62" fill="#fff" stroke="#ccc"/>
<line x1="${W - 180}" x2="${W - 150}" y1="${y(0.3) + 15}" y2="${y(0.3) + 15}" stroke="#1f77b4" stroke-width="2"/><text x="${W - 144}" y="${y(0.3) + 19}">greedy (curate)</text>
<line x1="${W - 180}" x2="${W - 150}" y1="${y(0.3) + 33}" y2="${y(0.3) + 33}" stroke="#d62728" stroke-width="2"/><text x="${W - 144}" y="${y(0.3) + 37}">random (mean of 20)</text>
<line x1="${W - 180}" x2="${W - 150}" y1="${y(0.3) + 51}" y2="${y(0.3) + 51}" stroke="#888" stroke-width="2" stroke-dasharray="4 3"/><text x="${W - 144}" y="${y(0.3) + 55}">all sessions</text></g>
</svg>
`;
fs.writeFileSync(path.join(out, 'curate-coverage.svg'), svg);
for (const r of rows) console.log(`budget ${String(r.budget).padStart(2)}: greedy ${(r.greedy * 100).toFixed(1)}%  random ${(r.random * 100).toFixed(1)}%  all ${(r.all * 100).toFixed(1)}%  (view units: greedy ${(r.greedy_views * 100).toFixed(1)}%, random ${(r.random_views * 100).toFixed(1)}%)`);
console.log(`selection over 10,000 synthetic sessions: ${synth.selection_ms} ms`);
console.log(`wrote ${path.join(out, 'curate-coverage.svg')} and curate.json`);
