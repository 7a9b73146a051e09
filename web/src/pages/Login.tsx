// Sign-in form, shown when the server is bound beyond loopback and asks for a session.
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { api, setCsrfToken } from '../api/client';
import { ErrorBox } from '../components/common';
import { useSession } from '../session';

/** Only same-site paths, so a crafted ?next= cannot send the user elsewhere. */
function safeNext(next: string | null): string {
  return next !== null && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function Login() {
  const { me, refresh } = useSession();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const next = safeNext(params.get('next'));
  if (me.authenticated) return <Navigate to={next} replace />;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const session = await api.login(username, password);
      setCsrfToken(session.csrfToken);
      await refresh();
      navigate(next, { replace: true });
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
    }
  };
  return (
    <div className="login">
      <form onSubmit={(e) => void submit(e)} className="card">
        <h2>Sign in to defender-graph</h2>
        <label>
          User
          <input
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error && <ErrorBox error={error} />}
        <button type="submit" className="primary">
          Sign in
        </button>
      </form>
    </div>
  );
}
