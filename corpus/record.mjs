// Records corpus flows with `reprise record`, driven through WebDriver the way a person uses
// the app (clicks on what they see, typing), as tests/record.rs does: reprise serves the app's
// dist/ at its origin and answers the backend from a source HAR (corpus/backend.mjs), prints
// `driving: webdriver=URL session=ID`, this script acts in that session, then presses Enter.
// The recording and its HAR are copied into the corpus suite (baselines are not kept: the
// tests and bench/compat.mjs write their own). Usage: node corpus/record.mjs [FLOW…]
// (env: REPRISE_BIN, default target/debug/reprise).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { spawn } from 'node:child_process';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const reprise = process.env.REPRISE_BIN || path.join(root, 'target', 'debug', 'reprise');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A tiny W3C WebDriver client: just what a person's actions need. */
function driver(base, session) {
  const call = async (method, p, body) => {
    const r = await fetch(`${base}/session/${session}${p}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await r.json();
    if (!r.ok) throw new Error(`${method} ${p}: ${JSON.stringify(json.value).slice(0, 300)}`);
    return json.value;
  };
  const find = async (css) => {
    for (let i = 0; i < 100; i += 1) {
      const r = await fetch(`${base}/session/${session}/element`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ using: 'css selector', value: css }),
      });
      const json = await r.json();
      if (r.ok) return Object.values(json.value)[0];
      await sleep(100);
    }
    throw new Error(`\`${css}\` did not appear`);
  };
  const el = (css) => ({
    click: async () => call('POST', `/element/${await find(css)}/click`, {}),
    type: async (text) => call('POST', `/element/${await find(css)}/value`, { text }),
  });
  return { el, find, call };
}

// Each flow: the suite, the URL recorded, the HAR answering the backend while recording, and
// what the person does.
const FLOWS = {
  'react-recorded-lazy-about': {
    suite: 'react-shop',
    url: 'https://react.corpus.test/',
    mocks: 'react-browse.har',
    async act(wd) {
      await wd.find('.product');
      await wd.el('nav a[href="/about"]').click();
      await wd.find('.facts');
      await wd.el('nav a[href="/"]').click();
      await wd.find('.product');
      await wd.el('.product:nth-child(4) button').click();
      await wd.el('nav a[href="/signup"]').click();
      await wd.el('form button[type=submit]').click();
      await wd.find('.error');
    },
  },
  'vue-recorded-settings': {
    suite: 'vue-tasks',
    url: 'https://vue.corpus.test/',
    mocks: 'vue-settings.har',
    async act(wd) {
      await wd.find('.tasks li');
      await wd.el('nav a[href="#/settings"]').click();
      await wd.el('select[name=theme]').click();
      await wd.el('select[name=theme] option[value=dark]').click();
      await wd.el('section > button').click();
      await wd.find('.success');
    },
  },
  'svelte-recorded-filter-note': {
    suite: 'svelte-notes',
    url: 'https://svelte.corpus.test/',
    mocks: 'svelte-add-note.har',
    async act(wd) {
      await wd.find('.notes li');
      await wd.el('.filters button:nth-child(3)').click();
      await wd.el('.filters button:nth-child(2)').click();
      await wd.el('input[name=title]').click();
      await wd.el('input[name=title]').type('Release notes');
      await wd.el('textarea[name=body]').click();
      await wd.el('textarea[name=body]').type('Ship 1.2 on Friday');
      await wd.el('form button[type=submit]').click();
      await sleep(500);
    },
  },
};

async function record(name, flow) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `record-${name}-`));
  const suite = path.join(root, 'corpus', 'suites', flow.suite);
  const appDir = path.join(root, 'corpus', 'apps', flow.suite, 'dist');
  const child = spawn(
    reprise,
    ['record', flow.url, '--name', name, '--app-dir', appDir, '--mocks', path.join(suite, 'mocks', flow.mocks), '--headless', '--no-replay'],
    { cwd: tmp, env: { ...process.env, NO_COLOR: '1', CI: '' }, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = [];
  const driving = await new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const m = line.match(/^driving: webdriver=(\S+) session=(\S+)/);
      if (m) resolve(m);
    });
    child.on('exit', (code) => reject(new Error(`reprise record exited ${code}:\n${lines.join('\n')}`)));
  });
  try {
    await flow.act(driver(driving[1], driving[2]));
    await sleep(300);
  } finally {
    child.stdin.end('\n');
  }
  const code = await new Promise((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`reprise record exited ${code}:\n${lines.join('\n')}`);
  for (const [from, to] of [
    [`recordings/${name}.json`, `recordings/${name}.json`],
    [`mocks/${name}.har`, `mocks/${name}.har`],
  ]) {
    fs.copyFileSync(path.join(tmp, from), path.join(suite, to));
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`recorded ${flow.suite}/${name}`);
}

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(FLOWS);
for (const name of wanted) {
  if (!FLOWS[name]) {
    console.error(`record: no flow \`${name}\` (have: ${Object.keys(FLOWS).join(', ')})`);
    process.exit(2);
  }
  await record(name, FLOWS[name]);
}
