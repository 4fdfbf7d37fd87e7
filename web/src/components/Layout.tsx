import { useEffect, useRef, useState } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router-dom';

import { usePrincipal, useSession } from '../auth/session';
import { ThemeToggle } from './ThemeToggle';

function accessLabel(scope: string, admin: boolean): string {
  if (scope !== 'write') return 'read-only';
  return admin ? 'admin' : 'write';
}

/** Renders the frame of every signed-in page: skip link, header with navigation, and the page in <main>. */
export function AppLayout() {
  const principal = usePrincipal();
  const { signOut } = useSession();
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const [menuOpen, setMenuOpen] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  const firstRender = useRef(true);

  // After in-app navigation, move focus to the new page so keyboard and screen reader users start there.
  useEffect(() => {
    setMenuOpen(false);
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    main.current?.focus({ preventScroll: true });
  }, [location.pathname]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header
        className="app-header"
        onKeyDown={(event) => {
          if (event.key === 'Escape' && menuOpen) {
            setMenuOpen(false);
            menuButton.current?.focus();
          }
        }}
      >
        <NavLink to="/" className="brand" end>
          <img src="favicon.svg" alt="" width="28" height="28" />
          <span>Markdown Manager</span>
        </NavLink>
        <button
          ref={menuButton}
          type="button"
          className="button button--icon app-header__menu"
          aria-expanded={menuOpen}
          aria-controls="primary-nav"
          onClick={() => setMenuOpen((open) => !open)}
        >
          <span aria-hidden="true">☰</span>
          <span className="visually-hidden">Menu</span>
        </button>
        <nav id="primary-nav" aria-label="Main" className={menuOpen ? 'app-nav app-nav--open' : 'app-nav'}>
          <ul>
            <li>
              <NavLink to="/" end>
                Articles
              </NavLink>
            </li>
            <li>
              <NavLink to="/folders">Folders</NavLink>
            </li>
            <li>
              <NavLink to="/settings">Settings</NavLink>
            </li>
            {principal.admin && (
              <li>
                <NavLink to="/security">Security</NavLink>
              </li>
            )}
          </ul>
          <div className="app-nav__account">
            <span className="account" title={`Signed in as ${principal.name}`}>
              <span className="account__name">{principal.name}</span>
              <span className={principal.scope === 'write' ? 'badge' : 'badge badge--warning'}>
                {accessLabel(principal.scope, principal.admin)}
              </span>
            </span>
            <ThemeToggle />
            <button type="button" className="button button--small" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        </nav>
      </header>
      <main id="main" ref={main} tabIndex={-1} className="app-main">
        <Outlet />
      </main>
    </div>
  );
}
