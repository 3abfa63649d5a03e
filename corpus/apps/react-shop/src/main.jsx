import { StrictMode, Suspense, lazy, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import './style.css';

export const API = 'https://api.corpus.test';
// The about page is a lazy-loaded route: its chunk is fetched on first visit.
const About = lazy(() => import('./About.jsx'));

// History routing with pushState, as react-router does, without the dependency.
function usePath() {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const go = (to) => {
    window.history.pushState({}, '', to);
    setPath(to);
  };
  return [path, go];
}

function Link({ to, go, children, ...rest }) {
  return (
    <a
      href={to}
      onClick={(e) => {
        e.preventDefault();
        go(to);
      }}
      {...rest}
    >
      {children}
    </a>
  );
}

function Products({ onAdd }) {
  const [items, setItems] = useState(null);
  const [query, setQuery] = useState('');
  useEffect(() => {
    fetch(`${API}/products`)
      .then((r) => r.json())
      .then(setItems)
      .catch(() => setItems([]));
  }, []);
  if (!items) return <p className="muted">Loading products…</p>;
  const shown = items.filter((p) => p.name.toLowerCase().includes(query.toLowerCase()));
  return (
    <section>
      <h1>Products</h1>
      <label className="search">
        Search products
        <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Type to filter" />
      </label>
      <ul className="products" data-testid="products">
        {shown.map((p) => (
          <li key={p.id} className="product">
            <span className="name">{p.name}</span>
            <span className="price">${p.price.toFixed(2)}</span>
            <button type="button" onClick={() => onAdd(p)} aria-label={`Add ${p.name} to cart`}>
              Add
            </button>
          </li>
        ))}
      </ul>
      {shown.length === 0 && <p className="muted">No product matches “{query}”.</p>}
    </section>
  );
}

function validate(f) {
  const errors = {};
  if (!f.name.trim()) errors.name = 'Name is required';
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(f.email)) errors.email = 'Enter a valid email address';
  if (f.password.length < 8) errors.password = 'Password must be at least 8 characters';
  return errors;
}

function Signup() {
  const [form, setForm] = useState({ name: '', email: '', password: '' });
  const [errors, setErrors] = useState({});
  const [done, setDone] = useState(null);
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    const found = validate(form);
    setErrors(found);
    if (Object.keys(found).length) return;
    const r = await fetch(`${API}/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: form.name, email: form.email }),
    });
    setDone(await r.json());
  };
  if (done) return <p className="success" role="status">Welcome, {done.name}! Your account number is {done.id}.</p>;
  return (
    <form noValidate onSubmit={submit} aria-label="Sign up">
      <h1>Create an account</h1>
      {['name', 'email', 'password'].map((k) => (
        <div className="field" key={k}>
          <label htmlFor={k}>{k[0].toUpperCase() + k.slice(1)}</label>
          <input id={k} name={k} type={k === 'name' ? 'text' : k} value={form[k]} onChange={set(k)} aria-invalid={!!errors[k]} />
          {errors[k] && <span className="error">{errors[k]}</span>}
        </div>
      ))}
      <button type="submit">Create account</button>
    </form>
  );
}

function App() {
  const [path, go] = usePath();
  const [cart, setCart] = useState([]);
  return (
    <>
      <header>
        <nav>
          <Link to="/" go={go}>Shop</Link>
          <Link to="/signup" go={go}>Sign up</Link>
          <Link to="/about" go={go}>About</Link>
        </nav>
        <span className="cart" data-testid="cart">Cart: {cart.length}</span>
      </header>
      <main>
        {path === '/signup' ? (
          <Signup />
        ) : path === '/about' ? (
          <Suspense fallback={<p className="muted">Loading…</p>}>
            <About />
          </Suspense>
        ) : (
          <Products onAdd={(p) => setCart([...cart, p])} />
        )}
      </main>
    </>
  );
}

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
