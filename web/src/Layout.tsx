// The frame around every page: navigation, who is signed in, sign out.
import { NavLink, Outlet, useNavigate } from 'react-router';
import { api } from './api/client';
import { useSession } from './session';

const PAGES = [
  ['/', 'Overview'],
  ['/explorer', 'Explorer'],
  ['/query', 'Query'],
  ['/changes', 'Changes'],
  ['/alerts', 'Alerts'],
  ['/instances', 'Instances'],
] as const;

export function Layout() {
  const { me, refresh } = useSession();
  const navigate = useNavigate();
  const signOut = async () => {
    await api.logout();
    await refresh();
    navigate('/login');
  };
  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">defender-graph</span>
        <nav>
          {PAGES.map(([to, label]) => (
            <NavLink key={to} to={to} end={to === '/'}>
              {label}
            </NavLink>
          ))}
        </nav>
        <span className="grow" />
        {me.user !== undefined && me.authRequired && (
          <span className="small">
            {me.user.name} ({me.user.role}){' '}
            <button className="link" onClick={() => void signOut()}>
              Sign out
            </button>
          </span>
        )}
      </header>
      <main>
        <Outlet />
      </main>
    </div>
  );
}
