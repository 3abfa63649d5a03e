import { render } from 'preact';
import { useState } from 'preact/hooks';
import './style.css';

const API = 'https://api.corpus.test';

function Login({ onIn }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState({});
  const [failure, setFailure] = useState('');
  const submit = async (e) => {
    e.preventDefault();
    const found = {};
    if (!email.includes('@')) found.email = 'Enter your email address';
    if (!password) found.password = 'Enter your password';
    setErrors(found);
    if (Object.keys(found).length) return;
    const r = await fetch(`${API}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    if (!r.ok) {
      setFailure('Wrong email or password');
      return;
    }
    onIn(await r.json());
  };
  return (
    <form noValidate onSubmit={submit} aria-label="Sign in">
      <h1>Sign in</h1>
      <label>
        Email
        <input type="email" name="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
      </label>
      {errors.email && <span class="error">{errors.email}</span>}
      <label>
        Password
        <input type="password" name="password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      </label>
      {errors.password && <span class="error">{errors.password}</span>}
      {failure && <p class="error" role="alert">{failure}</p>}
      <button type="submit">Sign in</button>
    </form>
  );
}

function Orders({ user }) {
  const [orders, setOrders] = useState(null);
  if (orders === null) {
    fetch(`${API}/orders`, { headers: { authorization: `Bearer ${user.token}` } })
      .then((r) => r.json())
      .then(setOrders);
    setOrders(undefined);
  }
  return (
    <section>
      <h1>Hello, {user.name}</h1>
      <h2>Your orders</h2>
      {!orders ? (
        <p class="muted">Loading orders…</p>
      ) : (
        <table>
          <thead>
            <tr><th>Order</th><th>Total</th><th></th></tr>
          </thead>
          <tbody>
            {orders.map((o) => (
              <tr key={o.id}>
                <td>#{o.id}</td>
                <td>${o.total.toFixed(2)}</td>
                <td>
                  {/* A popup, as receipts and OAuth windows are opened. */}
                  <button type="button" onClick={() => window.open(`/receipt.html?order=${o.id}`, 'receipt', 'popup,width=420,height=360')}>
                    Receipt #{o.id}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function App() {
  const [user, setUser] = useState(null);
  return (
    <>
      <header>Corpus Account</header>
      <main>{user ? <Orders user={user} /> : <Login onIn={setUser} />}</main>
    </>
  );
}

render(<App />, document.getElementById('app'));
