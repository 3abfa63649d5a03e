// The corpus apps' backend, https://api.corpus.test, as the HAR files the suites replay with:
// each flow's mocks/<flow>.har holds the exchanges its session had with the backend (full
// bodies, CORS headers for the app's origin, as Chrome's "Save all as HAR with content" writes
// them). Edit the exchanges here and run `node corpus/backend.mjs` to rewrite the HAR files.
import fs from 'node:fs';
import path from 'node:path';

const API = 'https://api.corpus.test';
const root = path.dirname(new URL(import.meta.url).pathname);
const START = Date.parse('2026-03-14T09:00:00Z');

const products = [
  { id: 1, name: 'Keyboard', price: 49 },
  { id: 2, name: 'Desk lamp', price: 29.5 },
  { id: 3, name: 'Lamp shade', price: 12 },
  { id: 4, name: 'Monitor stand', price: 35 },
];
const tasks = [
  { id: 1, title: 'Write the report', done: true },
  { id: 2, title: 'Water the plants', done: false },
  { id: 3, title: 'Call the bank', done: false },
];
const notes = [
  { id: 1, title: 'Standup', body: 'Demo the corpus', tag: 'work' },
  { id: 2, title: 'Groceries', body: 'Bread, eggs', tag: 'home' },
  { id: 3, title: 'Retro', body: 'Flaky tests', tag: 'work' },
];
const profile = { displayName: 'Ada', language: 'en', public: false };
const orders = [
  { id: 1001, total: 42.5 },
  { id: 1002, total: 17 },
];

/** One exchange: METHOD path, the JSON request body (if any), status and JSON response body. */
const x = (method, p, reqBody, status, resBody) => ({ method, p, reqBody, status, resBody });

// Per app: its origin, and per flow the exchanges in the order the app makes them.
const suites = {
  'react-shop': {
    origin: 'https://react.corpus.test',
    flows: {
      'react-browse': [x('GET', '/products', null, 200, products), x('GET', '/products', null, 200, products)],
      'react-signup': [
        x('GET', '/products', null, 200, products),
        x('POST', '/signup', { name: 'Ada Lovelace', email: 'ada@example.com' }, 201, { id: 'A-1815', name: 'Ada Lovelace' }),
      ],
    },
  },
  'vue-tasks': {
    origin: 'https://vue.corpus.test',
    flows: {
      'vue-complete-task': [
        x('GET', '/tasks', null, 200, tasks),
        x('POST', '/tasks', { title: 'Buy bread' }, 201, { id: 4, title: 'Buy bread', done: false }),
      ],
      'vue-delete-dialog': [x('GET', '/tasks', null, 200, tasks)],
      'vue-settings': [
        x('GET', '/tasks', null, 200, tasks),
        x('PUT', '/settings', { theme: 'dark', digest: false }, 200, { theme: 'dark', digest: false }),
      ],
    },
  },
  'svelte-notes': {
    origin: 'https://svelte.corpus.test',
    flows: {
      'svelte-add-note': [
        x('GET', '/notes', null, 200, notes),
        x('POST', '/notes', { title: 'Release notes', body: 'Ship 1.2 on Friday' }, 201, { id: 4, title: 'Release notes', body: 'Ship 1.2 on Friday', tag: 'work' }),
      ],
      'svelte-help-iframe': [x('GET', '/notes', null, 200, notes)],
    },
  },
  'preact-account': {
    origin: 'https://preact.corpus.test',
    flows: {
      'preact-login': [
        x('POST', '/login', { email: 'ada@example.com', password: 'wrong' }, 401, { error: 'invalid credentials' }),
        x('POST', '/login', { email: 'ada@example.com', password: 'analytical' }, 200, { name: 'Ada', token: 't-1815' }),
        x('GET', '/orders', null, 200, orders),
      ],
      'preact-receipt-popup': [
        x('POST', '/login', { email: 'ada@example.com', password: 'analytical' }, 200, { name: 'Ada', token: 't-1815' }),
        x('GET', '/orders', null, 200, orders),
      ],
    },
  },
  'lit-profile': {
    origin: 'https://lit.corpus.test',
    flows: {
      'lit-profile-save': [
        x('GET', '/profile', null, 200, profile),
        x('PUT', '/profile', { displayName: 'Ada L.', language: 'fr', public: true }, 200, { displayName: 'Ada L.', language: 'fr', public: true }),
      ],
    },
  },
};

function entry(origin, e, i) {
  const headers = [
    { name: 'accept', value: '*/*' },
    { name: 'origin', value: origin },
    { name: 'referer', value: `${origin}/` },
  ];
  if (e.reqBody) headers.push({ name: 'content-type', value: 'application/json' });
  const text = JSON.stringify(e.resBody);
  return {
    startedDateTime: new Date(START + i * 1000).toISOString(),
    time: 20,
    request: {
      method: e.method,
      url: API + e.p,
      httpVersion: 'http/2.0',
      headers,
      queryString: [],
      cookies: [],
      headersSize: -1,
      bodySize: e.reqBody ? JSON.stringify(e.reqBody).length : 0,
      ...(e.reqBody ? { postData: { mimeType: 'application/json', text: JSON.stringify(e.reqBody) } } : {}),
    },
    response: {
      status: e.status,
      statusText: { 200: 'OK', 201: 'Created', 401: 'Unauthorized' }[e.status],
      httpVersion: 'http/2.0',
      headers: [
        { name: 'content-type', value: 'application/json' },
        { name: 'access-control-allow-origin', value: origin },
        { name: 'cache-control', value: 'no-store' },
      ],
      cookies: [],
      content: { size: text.length, mimeType: 'application/json', text },
      redirectURL: '',
      headersSize: -1,
      bodySize: text.length,
    },
    cache: {},
    timings: { send: 1, wait: 18, receive: 1 },
  };
}

for (const [suite, { origin, flows }] of Object.entries(suites)) {
  for (const [flow, exchanges] of Object.entries(flows)) {
    const har = {
      log: {
        version: '1.2',
        creator: { name: 'reprise corpus backend (corpus/backend.mjs)', version: '1' },
        entries: exchanges.map((e, i) => entry(origin, e, i)),
      },
    };
    const file = path.join(root, 'suites', suite, 'mocks', `${flow}.har`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(har, null, 2)}\n`);
  }
}
