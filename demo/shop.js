// The shop page: product list, live filter, keyboard shortcuts, detail dialog, newsletter.
'use strict';

const PROMOS = [
  'Spring harvest: our Ethiopia Yirgacheffe is back.',
  'Free shipping on every order over €40.',
  'New decaf: Decaf Sierra, Swiss Water processed.',
  'Brew class this Saturday at the roastery, 10:00.',
];
const ROAST_TIPS = {
  light: 'Light roast: bright acidity and fruit. Best as pour-over or filter.',
  medium: 'Medium roast: balanced sweetness and body. Great for any brewer.',
  dark: 'Dark roast: heavy body, cocoa and spice. Made for espresso and milk.',
};
const BEAN_SVG = '<svg viewBox="0 0 64 64" aria-hidden="true"><ellipse cx="32" cy="32" rx="18" ry="25" transform="rotate(30 32 32)"/><path d="M24 14c10 10 6 26 16 36" fill="none" stroke="rgba(255,255,255,.55)" stroke-width="3" stroke-linecap="round"/></svg>';
const GEAR_SVG = '<svg viewBox="0 0 64 64" aria-hidden="true"><path d="M14 18h36l-7 30H21z"/><rect x="20" y="50" width="24" height="5" rx="2"/></svg>';

const $ = (id) => document.getElementById(id);
let products = [];
const detailCache = new Map();
let detailOpener = null;

function matches(product, query) {
  const haystack = [product.name, product.origin, product.roast, ...product.notes].join(' ').toLowerCase();
  return query.split(/\s+/).every((word) => haystack.includes(word));
}

function cardHtml(p) {
  const roast = p.roast
    ? `<span class="tip-wrap"><span class="roast roast-${p.roast}" tabindex="0" data-testid="roast-${p.id}" aria-describedby="tip-${p.id}">${p.roast[0].toUpperCase() + p.roast.slice(1)} roast</span><span class="tooltip" role="tooltip" id="tip-${p.id}">${ROAST_TIPS[p.roast]}</span></span>`
    : '<span class="roast roast-gear">Brew gear</span>';
  return `<article class="card" tabindex="0" data-id="${p.id}" data-testid="product-${p.id}" aria-labelledby="name-${p.id}">
    <div class="card-art" style="--swatch:${escapeHtml(p.color)}">${p.category === 'gear' ? GEAR_SVG : BEAN_SVG}</div>
    <div class="card-body">
      <h3 id="name-${p.id}">${escapeHtml(p.name)}</h3>
      <p class="origin">${escapeHtml(p.origin)}</p>
      <div class="meta">${roast}<span class="weight">${escapeHtml(p.size)}</span></div>
      <p class="notes">${p.notes.map(escapeHtml).join(' · ')}</p>
      <div class="card-foot">
        <span class="price">${formatPrice(p.price)}</span>
        <button class="btn btn-add" type="button" data-add="${p.id}" data-testid="add-${p.id}" aria-label="Add ${escapeHtml(p.name)} to cart">Add to cart</button>
      </div>
    </div>
  </article>`;
}

function visibleCards() {
  return [...document.querySelectorAll('#product-list .card:not([hidden])')];
}

function applyFilter() {
  const query = $('search').value.trim().toLowerCase();
  let shown = 0;
  for (const card of document.querySelectorAll('#product-list .card')) {
    const product = products.find((p) => p.id === card.dataset.id);
    const show = !query || matches(product, query);
    card.hidden = !show;
    if (show) shown += 1;
  }
  if (!products.length) return;
  $('result-count').textContent = `${shown} result${shown === 1 ? '' : 's'}`;
  $('empty-query').textContent = $('search').value.trim();
  $('empty-state').hidden = shown > 0;
}

async function loadProducts() {
  const state = $('list-state');
  state.hidden = false;
  state.className = 'list-state';
  state.innerHTML = '<div class="spinner" aria-hidden="true"></div><p>Loading the menu…</p>';
  try {
    const data = await api('/api/products?category=all&sort=name');
    products = data.products;
    $('product-list').innerHTML = products.map(cardHtml).join('');
    state.hidden = true;
    applyFilter();
  } catch (err) {
    state.className = 'list-state list-error';
    state.innerHTML = `<p><strong>We couldn't load the menu.</strong> ${escapeHtml(err.message)}</p>
      <button id="retry" class="btn" type="button" data-testid="retry">Try again</button>`;
    $('retry').addEventListener('click', loadProducts);
    $('result-count').textContent = '';
  }
}

function addToCart(id) {
  const product = products.find((p) => p.id === id);
  if (!product) return;
  Cart.add(product);
  $('cart-status').textContent = `${product.name} added to cart.`;
}

async function openDetail(id, opener) {
  const product = products.find((p) => p.id === id);
  if (!product) return;
  const dialog = $('detail');
  detailOpener = opener || null;
  dialog.dataset.id = id;
  $('detail-title').textContent = product.name;
  $('detail-price').textContent = formatPrice(product.price);
  $('detail-add').hidden = true;
  $('detail-body').innerHTML = '<div class="spinner" aria-hidden="true"></div><p>Loading details…</p>';
  if (!dialog.open) dialog.showModal();
  $('detail-close').focus();
  try {
    if (!detailCache.has(id)) detailCache.set(id, await api(`/api/products/${encodeURIComponent(id)}`));
    const d = detailCache.get(id);
    if (dialog.dataset.id !== id) return;
    $('detail-body').innerHTML = `<p class="detail-desc">${escapeHtml(d.description)}</p>
      <dl class="facts">
        <dt>Origin</dt><dd data-testid="detail-origin">${escapeHtml(d.origin)}</dd>
        ${d.producer ? `<dt>Producer</dt><dd>${escapeHtml(d.producer)}</dd>` : ''}
        ${d.process ? `<dt>Process</dt><dd>${escapeHtml(d.process)}</dd>` : ''}
        ${d.altitude ? `<dt>Altitude</dt><dd>${escapeHtml(d.altitude)}</dd>` : ''}
        <dt>Tasting notes</dt><dd>${d.notes.map(escapeHtml).join(', ')}</dd>
        <dt>Brew with</dt><dd>${escapeHtml(d.brewWith)}</dd>
      </dl>
      <p class="stock" data-testid="detail-stock">${d.stock > 0 ? `In stock: ${d.stock} left, ships tomorrow` : 'Sold out'}</p>`;
    $('detail-add').hidden = !(d.stock > 0);
  } catch (err) {
    $('detail-body').innerHTML = `<p class="error">${escapeHtml(err.message)}</p>`;
  }
}

function setupKeyboard() {
  const search = $('search');
  document.addEventListener('keydown', (event) => {
    const typing = event.target.closest('input, textarea, select, [contenteditable]');
    if (event.key === '/' && !typing && !$('detail').open) {
      event.preventDefault();
      search.focus();
      search.select();
    }
  });
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      search.value = '';
      applyFilter();
    } else if (event.key === 'Enter') {
      event.preventDefault(); // no keypress: the dialog's focused button must not be activated
      const first = visibleCards()[0];
      if (first) openDetail(first.dataset.id, search);
    } else if (event.key === 'ArrowDown') {
      const first = visibleCards()[0];
      if (first) { event.preventDefault(); first.focus(); }
    }
  });
  $('product-list').addEventListener('keydown', (event) => {
    const card = event.target.closest('.card');
    if (!card || event.target !== card) return;
    const cards = visibleCards();
    const index = cards.indexOf(card);
    const columns = getComputedStyle($('product-list')).gridTemplateColumns.split(' ').length;
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns, ArrowUp: -columns };
    if (event.key in moves) {
      event.preventDefault();
      const target = index + moves[event.key];
      if (target < 0 && event.key === 'ArrowUp') search.focus();
      else cards[Math.max(0, Math.min(cards.length - 1, target))].focus();
    } else if (event.key === 'Enter') {
      event.preventDefault();
      openDetail(card.dataset.id, card);
    }
  });
}

function setupNewsletter() {
  const form = $('newsletter-form');
  bindValidation(form, {
    'nl-name': (v) => (v ? '' : 'Please enter your name.'),
    'nl-email': (v) => (!v ? 'Please enter your email address.' : EMAIL_RE.test(v) ? '' : 'Enter an email address like name@example.com.'),
    'nl-plan': (v) => (v ? '' : 'Choose a plan.'),
    'nl-terms': (v) => (v ? '' : 'Please accept the privacy terms.'),
  }, async () => {
    const submit = $('nl-submit');
    submit.disabled = true;
    submit.textContent = 'Signing you up…';
    $('nl-form-error').textContent = '';
    try {
      const result = await api('/api/newsletter', {
        method: 'POST',
        body: {
          name: $('nl-name').value.trim(),
          email: $('nl-email').value.trim(),
          plan: $('nl-plan').value,
          terms: $('nl-terms').checked,
        },
      });
      $('newsletter-message').textContent = result.message;
      form.hidden = true;
      $('newsletter-success').hidden = false;
    } catch (err) {
      $('nl-form-error').textContent = err.message;
    } finally {
      submit.disabled = false;
      submit.textContent = 'Sign me up';
    }
  });
}

document.addEventListener('DOMContentLoaded', () => {
  $('promo-text').textContent = PROMOS[Math.floor(Math.random() * PROMOS.length)];
  $('search').addEventListener('input', applyFilter);
  $('clear-search').addEventListener('click', () => {
    $('search').value = '';
    applyFilter();
    $('search').focus();
  });
  const list = $('product-list');
  list.addEventListener('click', (event) => {
    const button = event.target.closest('[data-add]');
    if (button) addToCart(button.dataset.add);
  });
  list.addEventListener('dblclick', (event) => {
    const card = event.target.closest('.card');
    if (card && !event.target.closest('button')) openDetail(card.dataset.id, card);
  });
  $('detail-close').addEventListener('click', () => $('detail').close());
  $('detail').addEventListener('close', () => {
    if (detailOpener && detailOpener.isConnected) detailOpener.focus();
  });
  $('detail-add').addEventListener('click', () => addToCart($('detail').dataset.id));
  setupKeyboard();
  setupNewsletter();
  loadProducts();
});
