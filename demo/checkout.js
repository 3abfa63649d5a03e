// The checkout page: cart from localStorage, quantity controls, order form, POST /api/orders.
'use strict';

const SHIPPING = { standard: 450, express: 690 };
const FREE_SHIPPING_FROM = 4000;
const $ = (id) => document.getElementById(id);

function shippingCost(subtotal, method) {
  if (method === 'standard' && subtotal >= FREE_SHIPPING_FROM) return 0;
  return SHIPPING[method];
}

function renderCart() {
  const items = Cart.items();
  $('cart-lines').innerHTML = items.map((item) => `<li class="cart-line" data-testid="line-${item.id}">
      <span class="line-name">${escapeHtml(item.name)}</span>
      <span class="qty">
        <button class="icon-btn" type="button" data-step="-1" data-id="${item.id}" aria-label="Decrease quantity of ${escapeHtml(item.name)}" data-testid="dec-${item.id}">−</button>
        <output data-testid="qty-${item.id}" aria-label="Quantity of ${escapeHtml(item.name)}">${item.quantity}</output>
        <button class="icon-btn" type="button" data-step="1" data-id="${item.id}" aria-label="Increase quantity of ${escapeHtml(item.name)}" data-testid="inc-${item.id}">+</button>
      </span>
      <span class="line-total">${formatPrice(item.price * item.quantity)}</span>
    </li>`).join('');
  const subtotal = items.reduce((sum, item) => sum + item.price * item.quantity, 0);
  const shipping = items.length ? shippingCost(subtotal, $('co-shipping').value) : 0;
  $('subtotal').textContent = formatPrice(subtotal);
  $('shipping-cost').textContent = shipping ? formatPrice(shipping) : 'Free';
  $('total').textContent = formatPrice(subtotal + shipping);
  $('cart-empty').hidden = items.length > 0;
  $('totals').hidden = items.length === 0;
  $('place-order').disabled = items.length === 0;
}

// After a successful order: show what the server confirmed instead of the (now empty) cart.
function renderSummary(order) {
  $('cart-title').textContent = 'Order summary';
  $('cart-lines').innerHTML = order.items.map((item) => `<li class="cart-line" data-testid="summary-${item.id}">
      <span class="line-name">${escapeHtml(item.name)}</span>
      <span class="qty">× ${item.quantity}</span>
      <span class="line-total">${formatPrice(item.unitPrice * item.quantity)}</span>
    </li>`).join('');
  $('subtotal').textContent = formatPrice(order.subtotal.amount);
  $('shipping-cost').textContent = order.shipping.amount ? formatPrice(order.shipping.amount) : 'Free';
  $('total').textContent = formatPrice(order.total.amount);
  $('cart-empty').hidden = true;
  $('totals').hidden = false;
}

function setupOrderForm() {
  const form = $('order-form');
  const required = (label) => (v) => (v ? '' : `Please enter your ${label}.`);
  bindValidation(form, {
    'co-name': required('full name'),
    'co-email': (v) => (!v ? 'Please enter your email address.' : EMAIL_RE.test(v) ? '' : 'Enter an email address like name@example.com.'),
    'co-address': required('street address'),
    'co-postcode': (v) => (/^\d{5}$/.test(v) ? '' : 'Postcodes have 5 digits, e.g. 75011.'),
    'co-city': required('city'),
    'co-shipping': (v) => (v in SHIPPING ? '' : 'Choose a delivery option.'),
  }, async () => {
    const items = Cart.items();
    if (!items.length) return;
    const button = $('place-order');
    button.disabled = true;
    button.textContent = 'Placing order…';
    $('order-error').textContent = '';
    try {
      const order = await api('/api/orders', {
        method: 'POST',
        body: {
          items: items.map((item) => ({ id: item.id, quantity: item.quantity })),
          customer: {
            name: $('co-name').value.trim(),
            email: $('co-email').value.trim(),
            address: $('co-address').value.trim(),
            postcode: $('co-postcode').value.trim(),
            city: $('co-city').value.trim(),
          },
          shipping: $('co-shipping').value,
        },
      });
      const delivery = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeZone: 'UTC' })
        .format(new Date(`${order.estimatedDelivery}T00:00:00Z`));
      $('order-number').textContent = order.orderNumber;
      $('order-summary').textContent = `Thank you, ${order.customerName}. We charged ${formatPrice(order.total.amount)} and sent a receipt to ${order.email}. Estimated delivery: ${delivery}.`;
      Cart.clear();
      renderSummary(order);
      form.hidden = true;
      $('order-confirmation').hidden = false;
    } catch (err) {
      $('order-error').textContent = err.message;
      button.disabled = false;
    } finally {
      button.textContent = 'Place order';
    }
  });
}

document.addEventListener('DOMContentLoaded', () => {
  renderCart();
  $('cart-lines').addEventListener('click', (event) => {
    const button = event.target.closest('[data-step]');
    if (!button) return;
    const item = Cart.items().find((i) => i.id === button.dataset.id);
    if (item) Cart.setQuantity(item.id, item.quantity + Number(button.dataset.step));
    renderCart();
  });
  $('co-shipping').addEventListener('change', renderCart);
  setupOrderForm();
});
