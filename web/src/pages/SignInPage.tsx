import { useState, type FormEvent } from 'react';

import { ApiError, retryAfterText } from '../api/client';
import { useSession } from '../auth/session';
import { Field } from '../components/Field';
import { ThemeToggle } from '../components/ThemeToggle';
import { useDocumentTitle } from '../components/useDocumentTitle';

/**
 * Sign-in with the server's AUTH_TOKEN or an access token. The token goes to /api/auth/login once,
 * and the server responds with an HttpOnly session cookie, so the page never keeps the token.
 */
export function SignInPage({ expired }: { expired: boolean }) {
  const { signIn } = useSession();
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useDocumentTitle('Sign in');

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (token.trim() === '') {
      setError('Enter an access token.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await signIn(token.trim());
    } catch (cause) {
      if (cause instanceof ApiError && cause.status === 401) {
        setError('That token is not valid. Check it and try again.');
      } else if (cause instanceof ApiError && cause.status === 429) {
        setError(`Too many failed sign-in attempts. ${retryAfterText(cause) ?? ''}`.trim());
      } else {
        setError(cause instanceof ApiError ? cause.message : String(cause));
      }
      setBusy(false);
    }
  }

  return (
    <div className="sign-in">
      <div className="sign-in__theme">
        <ThemeToggle />
      </div>
      <main className="sign-in__card" id="main">
        <div className="sign-in__brand">
          <img src="favicon.svg" alt="" width="40" height="40" />
          <h1>MCP Markdown Manager</h1>
        </div>
        <p className="muted">Sign in with the server's admin token or an access token.</p>
        {expired && (
          <p className="notice notice--info" role="status">
            Your session has ended. Sign in again to continue where you were.
          </p>
        )}
        <form onSubmit={submit} noValidate>
          <Field label="Access token" error={error ?? undefined}>
            <input
              type="password"
              autoComplete="current-password"
              spellCheck={false}
              value={token}
              onChange={(event) => setToken(event.target.value)}
              autoFocus
            />
          </Field>
          <button type="submit" className="button button--primary button--block" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p className="field__hint">The browser keeps a session cookie, not the token.</p>
      </main>
    </div>
  );
}
