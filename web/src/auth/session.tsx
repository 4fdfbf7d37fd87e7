/**
 * Browser session state. The session itself is an HttpOnly cookie set by /api/auth/login. This
 * module keeps only the principal and its CSRF token, in memory and never in web storage.
 */

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';

import { ApiError, onUnauthorized, setCsrfToken } from '../api/client';
import { fetchSession, signIn as signInRequest, signOut as signOutRequest } from '../api/endpoints';
import type { Principal } from '../api/types';

export type SessionState =
  | { status: 'loading' }
  | { status: 'signed-out'; expired: boolean }
  | { status: 'error'; error: ApiError }
  | { status: 'signed-in'; principal: Principal };

interface SessionContextValue {
  state: SessionState;
  signIn(token: string): Promise<void>;
  signOut(): Promise<void>;
  retry(): void;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let cancelled = false;
    setState({ status: 'loading' });
    fetchSession()
      .then((principal) => {
        if (cancelled) return;
        setCsrfToken(principal.csrfToken);
        setState({ status: 'signed-in', principal });
      })
      .catch((error: unknown) => {
        if (cancelled) return;
        if (error instanceof ApiError && error.status === 401) {
          setState({ status: 'signed-out', expired: false });
        } else {
          setState({ status: 'error', error: error instanceof ApiError ? error : new ApiError(0, 'error', String(error), null) });
        }
      });
    return () => {
      cancelled = true;
    };
  }, [attempt]);

  useEffect(() => {
    onUnauthorized(() => {
      setCsrfToken(null);
      setState({ status: 'signed-out', expired: true });
    });
    return () => onUnauthorized(null);
  }, []);

  const signIn = useCallback(async (token: string) => {
    const principal = await signInRequest(token);
    setCsrfToken(principal.csrfToken);
    setState({ status: 'signed-in', principal });
  }, []);

  const signOut = useCallback(async () => {
    try {
      await signOutRequest();
    } finally {
      setCsrfToken(null);
      setState({ status: 'signed-out', expired: false });
    }
  }, []);

  const retry = useCallback(() => setAttempt((value) => value + 1), []);

  const value = useMemo(() => ({ state, signIn, signOut, retry }), [state, signIn, signOut, retry]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession must be used inside SessionProvider');
  return value;
}

/** Returns the signed-in principal; only for components rendered behind the sign-in gate. */
export function usePrincipal(): Principal {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('usePrincipal needs a signed-in session');
  return state.principal;
}
