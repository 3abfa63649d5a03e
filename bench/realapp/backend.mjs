// The Ops Console's JSON API (http://127.0.0.1:4181, another origin than the app's
// http://127.0.0.1:4180) as the HAR files its flows replay with: suite/mocks/<flow>.har holds
// the exchanges in the order the app makes them (full bodies, CORS headers for the app's
// origin). Edit here and run `node bench/realapp/backend.mjs` to rewrite them.
import fs from 'node:fs';
import path from 'node:path';

const APP = 'http://127.0.0.1:4180';
const API = 'http://127.0.0.1:4181';
const root = path.dirname(new URL(import.meta.url).pathname);
const START = Date.parse('2026-03-14T09:00:00Z');

const customers = ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Edsger Dijkstra', 'Barbara Liskov', 'Donald Knuth', 'Margaret Hamilton'];
const regions = ['North', 'South', 'East', 'West'];
const statuses = ['pending', 'shipped', 'shipped', 'returned', 'shipped'];
const orders = Array.from({ length: 20 }, (_, i) => ({
  id: 1001 + i,
  customer: customers[i % customers.length],
  region: regions[(i * 3) % regions.length],
  status: statuses[i % statuses.length],
  amount: Math.round(((i * 37) % 90) * 10 + 19.5 * (i % 3) + 25) / 1,
}));

function summary(list) {
  const days = ['Mar 8', 'Mar 9', 'Mar 10', 'Mar 11', 'Mar 12', 'Mar 13', 'Mar 14'].map((day, d) => ({
    day,
    revenue: list.filter((_, i) => i % 7 === d).reduce((t, o) => t + o.amount, 0),
  }));
  return {
    count: list.length,
    revenue: list.reduce((t, o) => t + o.amount, 0),
    returned: list.length ? Math.round((100 * list.filter((o) => o.status === 'returned').length) / list.length) : 0,
    days,
    regions: regions.map((name) => ({ name, value: list.filter((o) => o.region === name).length })),
  };
}
const by = (list, s) => (s === 'all' ? list : list.filter((o) => o.status === s));
const x = (method, p, reqBody, status, resBody) => ({ method, p, reqBody, status, resBody });
const reads = (list, s, rev) => {
  const q = rev ? `status=${s}&rev=${rev}` : `status=${s}`;
  return [x('GET', `/api/summary?${q}`, null, 200, summary(by(list, s))), x('GET', `/api/orders?${q}`, null, 200, by(list, s))];
};
const made = { id: 1021, customer: 'Grace Hopper', region: 'North', status: 'pending', amount: 250 };

const flows = {
  'ops-filter': [...reads(orders, 'all'), ...reads(orders, 'shipped')],
  'ops-new-order': [
    ...reads(orders, 'all'),
    x('POST', '/api/orders', { customer: 'Grace Hopper', amount: 250 }, 201, made),
    ...reads([made, ...orders], 'all', made.id), // newest first: the new order is on page 1
  ],
};

function entry(e, i) {
  const headers = [
    { name: 'accept', value: '*/*' },
    { name: 'origin', value: APP },
    { name: 'referer', value: `${APP}/` },
  ];
  if (e.reqBody) headers.push({ name: 'content-type', value: 'application/json' });
  const text = JSON.stringify(e.resBody);
  const url = new URL(API + e.p);
  return {
    startedDateTime: new Date(START + i * 1000).toISOString(),
    time: 20,
    request: {
      method: e.method,
      url: url.href,
      httpVersion: 'HTTP/1.1',
      headers,
      queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
      cookies: [],
      headersSize: -1,
      bodySize: e.reqBody ? JSON.stringify(e.reqBody).length : 0,
      ...(e.reqBody ? { postData: { mimeType: 'application/json', text: JSON.stringify(e.reqBody) } } : {}),
    },
    response: {
      status: e.status,
      statusText: { 200: 'OK', 201: 'Created' }[e.status],
      httpVersion: 'HTTP/1.1',
      headers: [
        { name: 'content-type', value: 'application/json' },
        { name: 'access-control-allow-origin', value: APP },
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

for (const [flow, exchanges] of Object.entries(flows)) {
  const har = { log: { version: '1.2', creator: { name: 'reprise bench backend (bench/realapp/backend.mjs)', version: '1' }, entries: exchanges.map(entry) } };
  const file = path.join(root, 'suite', 'mocks', `${flow}.har`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(har, null, 2)}\n`);
}
