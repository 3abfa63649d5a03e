// Shared by every page: API client, cart storage, header clock, session id.
'use strict';

const API_BASE = 'https://api.reprise.test';
const CART_KEY = 'reprise.cart';
const money = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'EUR' });

function formatPrice(cents) {
  return money.format(cents / 100);
}

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) =>
    ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Every backend call goes through here. Bodies are JSON built only from user input.
async function api(path, { method = 'GET', body } = {}) {
  const init = { method, headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(API_BASE + path, init);
  } catch (err) {
    throw new ApiError(0, 'We could not reach the server. Check your connection and try again.');
  }
  let data = null;
  try {
    data = await response.json();
  } catch (err) {
    data = null;
  }
  if (!response.ok) {
    const message = data && data.error && data.error.message;
    throw new ApiError(response.status, message || `Something went wrong (error ${response.status}).`);
  }
  return data;
}

const Cart = {
  items() {
    try {
      const parsed = JSON.parse(localStorage.getItem(CART_KEY) || '[]');
      return Array.isArray(parsed) ? parsed : [];
    } catch (err) {
      return [];
    }
  },
  save(items) {
    localStorage.setItem(CART_KEY, JSON.stringify(items));
    updateCartCount();
  },
  add(product) {
    const items = Cart.items();
    const line = items.find((item) => item.id === product.id);
    if (line) line.quantity += 1;
    else items.push({ id: product.id, name: product.name, price: product.price, quantity: 1 });
    Cart.save(items);
  },
  setQuantity(id, quantity) {
    const items = Cart.items()
      .map((item) => (item.id === id ? { ...item, quantity } : item))
      .filter((item) => item.quantity > 0);
    Cart.save(items);
  },
  clear() {
    Cart.save([]);
  },
  count() {
    return Cart.items().reduce((sum, item) => sum + item.quantity, 0);
  },
};

function updateCartCount() {
  const badge = document.getElementById('cart-count');
  if (!badge) return;
  const count = Cart.count();
  if (badge.textContent !== String(count)) {
    badge.textContent = String(count);
    badge.classList.remove('bump');
    void badge.offsetWidth; // restart the bump animation
    badge.classList.add('bump');
  }
  badge.title = `${count} item${count === 1 ? '' : 's'} in cart`;
}

function startClock() {
  const el = document.getElementById('clock');
  if (!el) return;
  const format = new Intl.DateTimeFormat(undefined, {
    weekday: 'short', day: 'numeric', month: 'short', year: 'numeric',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const tick = () => {
    const now = new Date();
    el.dateTime = now.toISOString();
    el.textContent = format.format(now);
  };
  tick();
  setInterval(tick, 1000);
}

function showSessionId() {
  const el = document.getElementById('session-id');
  if (!el) return;
  // Client-side only: never sent to the backend.
  el.textContent = typeof crypto !== 'undefined' && crypto.randomUUID
    ? crypto.randomUUID()
    : 'xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx'.replace(/x/g, () => Math.floor(Math.random() * 16).toString(16));
}

// Shared form helpers: inline errors next to each field.
function setFieldError(input, message) {
  const error = document.getElementById(`${input.id}-error`);
  if (error) error.textContent = message || '';
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
  input.closest('.field')?.classList.toggle('invalid', Boolean(message));
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;

// Runs `rules` (id -> function(value, input) returning an error or '') and shows the results.
// After the first submit attempt, errors update live as the user fixes them.
function bindValidation(form, rules, onValid) {
  let attempted = false;
  const check = () => {
    let firstInvalid = null;
    for (const [id, rule] of Object.entries(rules)) {
      const input = document.getElementById(id);
      const value = input.type === 'checkbox' ? input.checked : input.value.trim();
      const message = rule(value, input);
      setFieldError(input, message);
      if (message && !firstInvalid) firstInvalid = input;
    }
    return firstInvalid;
  };
  form.addEventListener('input', () => { if (attempted) check(); });
  form.addEventListener('change', () => { if (attempted) check(); });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    attempted = true;
    const firstInvalid = check();
    if (firstInvalid) firstInvalid.focus();
    else onValid();
  });
}

document.addEventListener('DOMContentLoaded', () => {
  startClock();
  showSessionId();
  updateCartCount();
  document.getElementById('cart-count')?.classList.remove('bump');
});
