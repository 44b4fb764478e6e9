import type { Me } from '@berth/contracts';
import type { ReactNode } from 'react';
import { NavLink } from 'react-router-dom';
import { useSignOut } from '../api/session.queries.js';
import { CreditsMeter } from './CreditsMeter.js';
import { OrgSwitcher } from './OrgSwitcher.js';
import { ThemeToggle } from './ThemeToggle.js';

export function Layout({ me, children }: { me: Me; children: ReactNode }) {
  const signOut = useSignOut();
  return (
    <div className="shell">
      <header className="topbar">
        <NavLink to="/" className="brand">
          ⚓ Berth
        </NavLink>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Environments
          </NavLink>
          <NavLink to="/templates">Templates</NavLink>
          <NavLink to="/apps">Apps</NavLink>
          <NavLink to="/account">Account</NavLink>
          {me.isAdmin && <NavLink to="/admin">Admin</NavLink>}
        </nav>
        <div className="topbar-right">
          <OrgSwitcher />
          <CreditsMeter quota={me.quota} />
          <ThemeToggle />
          <span className="who">{me.username}</span>
          <button type="button" className="ghost" onClick={() => signOut.mutate()}>
            Sign out
          </button>
        </div>
      </header>
      <main>{children}</main>
    </div>
  );
}
