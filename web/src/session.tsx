// Who is signed in: loaded once from /auth/me; pages below it render only with a session when the
// server asks for one.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { api, setCsrfToken } from './api/client';
import type { Me } from './api/types';
import { ErrorBox } from './components/common';

interface Session {
  me: Me;
  refresh: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession outside SessionProvider');
  return session;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const refresh = async () => {
    try {
      const next = await api.me();
      setCsrfToken(next.csrfToken);
      setMe(next);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };
  useEffect(() => {
    void refresh();
  }, []);
  if (error) return <ErrorBox error={error} />;
  if (me === null) return <div className="loading">Loading…</div>;
  return <SessionContext.Provider value={{ me, refresh }}>{children}</SessionContext.Provider>;
}

/** Sends a visitor without a session to the login page, then back to where they were going. */
export function RequireSession({ children }: { children: ReactNode }) {
  const { me } = useSession();
  const location = useLocation();
  if (!me.authenticated)
    return (
      <Navigate
        to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`}
        replace
      />
    );
  return <>{children}</>;
}
