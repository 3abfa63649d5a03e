// Curation figures (docs/curation.md): builds a pool of demo sessions (near-duplicates of the
// common paths and a few rare ones), measures each session's coverage with two real replays
// (`reprise curate --coverage`), then plots the pool's coverage against the budget for the
// greedy choice, random choices (mean of 20 draws) and all sessions, as an SVG written by
// hand, and times selection over 10,000 synthetic sessions.
//
// Usage: node bench/curate.mjs [REPRISE_BINARY] [OUT_DIR]   (scripts/bench-curate.sh)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const bin = process.argv[2] || path.join(root, 'target/release/reprise');
const out = path.resolve(process.argv[3] || path.join(root, 'bench/out'));
fs.mkdirSync(out, { recursive: true });

// How many copies of each demo session the pool holds: common paths many times, rare paths
// (the error state `retry`, the invalid form, the keyboard-only path) once or twice.
const MIX = {
  browse: 30, 'product-detail': 24, search: 20, newsletter: 12, checkout: 10,
  'newsletter-invalid': 2, retry: 1, keyboard: 1,
};

function buildPool(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const d of ['recordings', 'mocks']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.writeFileSync(path.join(dir, 'reprise.toml'), `[app]\ndir = ${JSON.stringify(path.join(root, 'demo'))}\n`);
  let seed = 7;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  for (const [base, n] of Object.entries(MIX)) {
    const rec = JSON.parse(fs.readFileSync(path.join(root, 'recordings', `${base}.json`), 'utf8'));
    const har = fs.readFileSync(path.join(root, 'mocks', `${base}.har`), 'utf8');
    for (let i = 0; i < n; i++) {
      // a near-duplicate: the same path at another person's pace
      const pace = 0.7 + rnd() * 0.8;
      const copy = structuredClone(rec);
      copy.title = `${rec.title} (#${i + 1})`;
      for (const s of copy.steps) if (typeof s.timestamp === 'number') s.timestamp = Math.round(s.timestamp * pace);
      const id = `${base}-${String(i + 1).padStart(2, '0')}`;
      fs.writeFileSync(path.join(dir, 'recordings', `${id}.json`), JSON.stringify(copy, null, 2));
      fs.writeFileSync(path.join(dir, 'mocks', `${id}.har`), har);
    }
  }
}

const run = (args) => execFileSync(bin, args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] });

const pool = path.join(os.tmpdir(), 'reprise-curate-pool');
if (!fs.existsSync(path.join(pool, '.reprise/coverage')) || process.env.REBUILD_POOL) {
  buildPool(pool);
  const t = Date.now();
  run(['curate', '--pool', pool, '--coverage', '--measure-overhead', '--budget-sessions', '10', '--format', 'json', '-j', '2']);
  console.log(`coverage of ${Object.values(MIX).reduce((a, b) => a + b)} sessions measured in ${((Date.now() - t) / 1000).toFixed(0)} s`);
}

// Coverage units (JS blocks, CSS rules) per session, from what curate stored.
const cov = {};
for (const f of fs.readdirSync(path.join(pool, '.reprise/coverage'))) {
  const c = JSON.parse(fs.readFileSync(path.join(pool, '.reprise/coverage', f), 'utf8'));
  if (c.agreed) cov[c.session] = new Set(c.units);
}
const ids = Object.keys(cov).sort();
const all = new Set(ids.flatMap((id) => [...cov[id]]));
const share = (set) => { const u = new Set(); for (const id of set) for (const x of cov[id] || []) u.add(x); return u.size / all.size; };

const budgets = Array.from({ length: 15 }, (_, i) => i + 1);
const rows = [];
let seed = 11;
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
for (const b of budgets) {
  const sel = JSON.parse(run(['curate', '--pool', pool, '--budget-sessions', String(b), '--format', 'json'])).selected.map((s) => s.id);
  let r = 0;
  for (let d = 0; d < 20; d++) {
    const pick = [...ids].sort(() => rnd() - 0.5).slice(0, b);
    r += share(pick) / 20;
  }
  rows.push({ budget: b, greedy: share(sel), random: r, all: share(ids), chosen: sel });
}
const synth = JSON.parse(run(['curate', '--synthetic', '10000', '--budget-sessions', '100']));
const figures = { pool: ids.length, set_aside: Object.keys(MIX).length && fs.readdirSync(path.join(pool, '.reprise/coverage')).length - ids.length, units: all.size, rows, synthetic: synth };
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
<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">Pool coverage (JS blocks + CSS rules) by budget, ${ids.length} demo sessions</text>
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
for (const r of rows) console.log(`budget ${String(r.budget).padStart(2)}: greedy ${(r.greedy * 100).toFixed(1)}%  random ${(r.random * 100).toFixed(1)}%  all ${(r.all * 100).toFixed(1)}%`);
console.log(`selection over 10,000 synthetic sessions: ${synth.selection_ms} ms`);
console.log(`wrote ${path.join(out, 'curate-coverage.svg')} and curate.json`);
