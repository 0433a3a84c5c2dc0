import { useState } from 'react';
import { logout, type Me } from './api.ts';
import { EmptyState } from './EmptyState.tsx';
import { Inventory } from './Inventory.tsx';
import { Network } from './Network.tsx';
import { Orders } from './Orders.tsx';
import { Overview } from './Overview.tsx';
import { SECTIONS } from './sections.ts';
import { UsersAndKeys } from './UsersAndKeys.tsx';
import { useHashSection } from './useHashSection.ts';
import { asApiError } from './useLoad.ts';

type Props = { me: Me; onSignedOut: () => void };

export function Shell({ me, onSignedOut }: Props) {
  const { section, rest } = useHashSection();
  const [signOutError, setSignOutError] = useState<string | null>(null);

  async function signOut() {
    setSignOutError(null);
    try {
      await logout();
      onSignedOut();
    } catch (err) {
      const error = asApiError(err);
      // A session that already ended is as signed out as it gets.
      if (error.status === 401) onSignedOut();
      else setSignOutError(error.message);
    }
  }

  const who = me.user ? me.user.name : me.actor.type === 'api_key' ? 'API key' : me.actor.id;
  return (
    <div className="shell">
      <header className="topbar">
        <div className="brand">Orderly</div>
        <div className="tenant" title={me.tenant.tenant_id}>
          {me.tenant.name}
        </div>
        <div className="who">
          <span className="who-name">{who}</span>
          {me.user && <span className="who-email">{me.user.email}</span>}
          <span className={`badge role-${me.role}`}>{me.role}</span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      {signOutError && (
        <div className="alert banner" role="alert">
          Could not sign out: {signOutError}
        </div>
      )}
      <nav className="sidenav" aria-label="Sections">
        <ul>
          {SECTIONS.map((s) => (
            <li key={s.id}>
              <a href={`#/${s.id}`} aria-current={s.id === section.id ? 'page' : undefined}>
                {s.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content">
        <h1>{section.label}</h1>
        {section.id === 'overview' && <Overview />}
        {section.id === 'orders' && <Orders orderId={rest[0]} me={me} />}
        {section.id === 'inventory' && <Inventory sku={rest[0]} />}
        {section.id === 'network' && <Network />}
        {section.id === 'users' && <UsersAndKeys role={me.role} />}
        {section.pending && <EmptyState>{section.pending}</EmptyState>}
      </main>
    </div>
  );
}
