import { type FormEvent, useState } from 'react';
import { type FieldError, login, type Me } from './api.ts';
import { asApiError } from './useLoad.ts';

type Props = { notice: string | null; onSignedIn: (me: Me) => void };

export function SignIn({ notice, onSignedIn }: Props) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ detail: string; errors: FieldError[] } | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await login(email, password));
    } catch (err) {
      const problem = asApiError(err);
      setError({ detail: problem.message, errors: problem.errors });
      setBusy(false);
    }
  }

  const shown = error?.detail ?? notice;
  return (
    <main className="signin">
      <form className="card signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <div className="brand">Orderly</div>
        <h1 id="signin-title">Sign in</h1>
        <label>
          Email
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {shown && (
          <div className="alert" role="alert">
            {shown}
            {error && error.errors.length > 1 && (
              <ul>
                {error.errors.map((e) => (
                  <li key={e.path}>
                    {e.path}: {e.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
