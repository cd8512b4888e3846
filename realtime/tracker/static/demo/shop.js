/* The demo shop: a product list, product pages, a cart and a login form, each action recorded through
   the tracker (window.analytics, set up by /tracker/cdp.js) with Segment's e-commerce event names. */
(function () {
  var PRODUCTS = [
    { product_id: 'SKU-1001', sku: 'SKU-1001', name: 'Trail running shoes', category: 'shoes', price: 89.9 },
    { product_id: 'SKU-1002', sku: 'SKU-1002', name: 'Merino base layer', category: 'apparel', price: 59.0 },
    { product_id: 'SKU-1003', sku: 'SKU-1003', name: 'Headlamp 400 lm', category: 'gear', price: 34.5 },
    { product_id: 'SKU-1004', sku: 'SKU-1004', name: 'Hydration vest', category: 'gear', price: 74.0 },
  ];
  var CURRENCY = 'EUR';
  var main = document.getElementById('main');
  var query = new URLSearchParams(window.location.search);

  function cart() {
    var value = null;
    try { value = JSON.parse(localStorage.getItem('demo_cart')); } catch (e) { value = null; }
    if (!value || !value.id || !Array.isArray(value.items)) {
      value = { id: newId('cart'), items: [] };
      localStorage.setItem('demo_cart', JSON.stringify(value));
    }
    return value;
  }
  function saveCart(value) { localStorage.setItem('demo_cart', JSON.stringify(value)); showCount(); }
  function newId(prefix) { return prefix + '-' + Math.random().toString(36).slice(2, 12); }
  function showCount() { document.getElementById('cart-count').textContent = String(cart().items.length); }
  function find(sku) { return PRODUCTS.filter(function (p) { return p.sku === sku; })[0]; }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function money(value) { return value.toFixed(2) + ' ' + CURRENCY; }
  function productProps(product, c) {
    return {
      product_id: product.product_id, sku: product.sku, name: product.name, category: product.category,
      price: product.price, quantity: 1, currency: CURRENCY, cart_id: c.id,
    };
  }

  function addToCart(product) {
    var c = cart();
    c.items.push(product.sku);
    saveCart(c);
    return window.analytics.track('Product Added', productProps(product, c));
  }

  function listView() {
    main.appendChild(el('h1', {}, 'Products'));
    var grid = el('div', { class: 'products' });
    PRODUCTS.forEach(function (product) {
      var card = el('div', { class: 'card' });
      var link = el('a', { href: '/demo/?product=' + product.sku, 'data-sku': product.sku }, product.name);
      card.appendChild(link);
      card.appendChild(el('p', { class: 'price' }, money(product.price)));
      grid.appendChild(card);
    });
    main.appendChild(grid);
  }

  function productView(product) {
    main.appendChild(el('h1', {}, product.name));
    main.appendChild(el('p', { class: 'price' }, money(product.price)));
    var button = el('button', { id: 'add-to-cart' }, 'Add to cart');
    button.addEventListener('click', function () {
      button.disabled = true;
      addToCart(product).then(function () { button.textContent = 'Added'; });
    });
    main.appendChild(button);
    window.analytics.track('Product Viewed', productProps(product, cart()));
  }

  function cartView() {
    var c = cart();
    main.appendChild(el('h1', {}, 'Your cart'));
    var total = 0;
    var list = el('ul', { id: 'cart-items' });
    c.items.forEach(function (sku) {
      var product = find(sku);
      if (!product) return;
      total += product.price;
      list.appendChild(el('li', {}, product.name + ' - ' + money(product.price)));
    });
    main.appendChild(list);
    main.appendChild(el('p', { id: 'cart-total' }, 'Total: ' + money(total)));
    if (!c.items.length) return;
    var button = el('button', { id: 'checkout' }, 'Place order');
    button.addEventListener('click', function () {
      button.disabled = true;
      var orderId = newId('web-order');
      var products = c.items.map(function (sku) { return productProps(find(sku), c); });
      window.analytics.track('Order Completed', {
        order_id: orderId, cart_id: c.id, revenue: Math.round(total * 100) / 100, currency: CURRENCY,
        products: products,
      }).then(function () {
        saveCart({ id: newId('cart'), items: [] });
        main.textContent = '';
        main.appendChild(el('h1', { id: 'order-done' }, 'Thank you! Order ' + orderId));
      });
    });
    main.appendChild(button);
  }

  function loginView() {
    main.appendChild(el('h1', {}, 'Log in'));
    var form = el('form', { id: 'login-form' });
    var fields = [
      ['email', 'Email', 'email'],
      ['user-id', 'Customer number', 'text'],
      ['password', 'Password', 'password'],
    ];
    fields.forEach(function (f) {
      var label = el('label', {}, f[1] + ' ');
      label.appendChild(el('input', { id: f[0], name: f[0], type: f[2], required: 'required' }));
      form.appendChild(label);
    });
    form.appendChild(el('button', { type: 'submit', id: 'login' }, 'Log in'));
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      // A real shop learns the customer number from its login backend; the demo asks for it.
      var userId = document.getElementById('user-id').value.trim();
      var email = document.getElementById('email').value.trim();
      localStorage.setItem('demo_user', email);
      window.analytics.identify(userId, { email: email })
        .then(function () { return window.analytics.track('Signed In', { method: 'password' }); })
        .then(function () { window.location.href = '/demo/?view=cart'; });
    });
    main.appendChild(form);
  }

  showCount();
  var who = localStorage.getItem('demo_user');
  if (who) document.getElementById('who').textContent = 'Signed in as ' + who;
  var product = query.get('product') && find(query.get('product'));
  if (product) productView(product);
  else if (query.get('view') === 'cart') cartView();
  else if (query.get('view') === 'login') loginView();
  else listView();
})();
