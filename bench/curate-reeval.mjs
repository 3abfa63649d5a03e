// Re-evaluates the curated set offline against a previous bench/curate.mjs run, with no
// replay: the chosen sessions of `reprise curate --store … --budget-sessions N` (this build)
// are mapped to the per-session mutation results the run kept in OUT/curate.json
// (`proof.results`), with the same grouping (a session not replayed takes its group's
// result when the group's replayed members agree). Also prints the greedy coverage by budget.
// It refuses to report when a chosen session was neither replayed nor in a replayed group.
//
// Usage: node bench/curate-reeval.mjs REPRISE_BINARY OUT_DIR [BUDGET]   (pool: $TMPDIR/reprise-curate-captured)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const bin = path.resolve(process.argv[2] || 'target/debug/reprise');
const out = path.resolve(process.argv[3] || 'bench/out');
const budget = Number(process.argv[4] || 10);
const POOL = path.join(os.tmpdir(), 'reprise-curate-captured');
const suite = path.join(POOL, 'suite');
const store = path.join(POOL, 'store');
const poolDir = path.join(suite, '.reprise/store-pool');
const fig = JSON.parse(fs.readFileSync(path.join(out, 'curate.json'), 'utf8'));
const curate = (b, extra = []) => JSON.parse(execFileSync(bin, ['curate', '--store', store, '-C', suite, '--budget-sessions', String(b), '--format', 'json', ...extra],
  { encoding: 'utf8', maxBuffer: 64 << 20 })).selected.map((s) => s.id);

const cov = {};
for (const f of fs.readdirSync(path.join(poolDir, '.reprise/coverage'))) {
  const c = JSON.parse(fs.readFileSync(path.join(poolDir, '.reprise/coverage', f), 'utf8'));
  if (c.agreed) cov[c.session] = new Set(c.units);
}
const ids = Object.keys(cov).sort();
// Coverage shares count JS blocks and CSS rules, as bench/curate.mjs does; view units
// (what checkpoints showed) take part in the grouping only.
const isCode = (u) => !u.startsWith('view:');
const all = new Set(ids.flatMap((id) => [...cov[id]].filter(isCode)));
const share = (set) => { const u = new Set(); for (const id of set) for (const x of cov[id] || []) if (isCode(x)) u.add(x); return u.size / all.size; };

// The grouping of bench/curate.mjs, and the sessions it replayed (its curated 10 and two
// members of every group).
const groups = {};
const groupOf = {};
for (const id of ids) {
  const rec = JSON.parse(fs.readFileSync(path.join(poolDir, 'recordings', `${id}.json`), 'utf8'));
  const steps = rec.steps.map((s) => [s.type, s.selectors, s.key, s.value, s.url && new URL(s.url).pathname]);
  (groups[JSON.stringify([steps, [...cov[id]].sort()])] ||= []).push(id);
}
const groupList = Object.values(groups);
groupList.forEach((g, i) => g.forEach((id) => { groupOf[id] = i; }));
const replayed = new Set(fig.rows.find((r) => r.budget === 10).chosen);
for (const g of groupList) g.slice(0, 2).forEach((id) => replayed.add(id));
const measured = fig.proof.results.filter((r) => !r.skipped);
const catches = (id, r) => {
  if (replayed.has(id)) return r.failed.includes(id);
  const seen = groupList[groupOf[id]].filter((x) => replayed.has(x));
  return seen.length > 0 && seen.every((x) => r.failed.includes(x));
};
const caught = (set) => measured.filter((r) => set.some((id) => catches(id, r))).map((r) => r.id);

const chosen = curate(budget);
const unknown = chosen.filter((id) => groupOf[id] === undefined);
if (unknown.length) throw new Error(`chosen sessions with no replayed result: ${unknown.join(' ')}`);
const pool = caught(ids);
const got = caught(chosen);
console.log(`${groupList.length} groups, ${replayed.size} sessions replayed in the run; the pool catches ${pool.length}, the run's curated 10 ${caught(fig.rows.find((r) => r.budget === 10).chosen).length} (as recorded: ${fig.proof.curated})`);
console.log(`now: --budget-sessions ${budget} chooses ${chosen.length} (${chosen.filter((id) => replayed.has(id)).length} replayed directly) and catches ${got.length}; missed of the pool's: ${pool.filter((m) => !got.includes(m)).join(' ') || 'none'}`);
for (const b of [1, 2, 3, 4, 5, 6, 7, 8, 10, 15]) {
  const s = curate(b);
  console.log(`budget ${b}: ${s.length} chosen, greedy ${(100 * share(s)).toFixed(1)}% (the run: ${(100 * fig.rows.find((r) => r.budget === b).greedy).toFixed(1)}%)`);
}
