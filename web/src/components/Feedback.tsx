import type { ReactNode } from 'react';

import { ApiError, retryAfterText } from '../api/client';

/** Renders an API error as an alert, with the request id for support and an optional retry button. */
export function ErrorMessage({ error, onRetry, title }: { error: ApiError; onRetry?(): void; title?: string }) {
  const retryAfter = retryAfterText(error);
  return (
    <div className="notice notice--error" role="alert">
      {title && <p className="notice__title">{title}</p>}
      <p>
        {error.message}
        {retryAfter && ` ${retryAfter}`}
      </p>
      {error.requestId && <p className="notice__meta">Request id: {error.requestId}</p>}
      {onRetry && (
        <button type="button" className="button button--small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Notice({ kind = 'info', title, children }: { kind?: 'info' | 'success' | 'warning'; title?: string; children: ReactNode }) {
  return (
    <div className={`notice notice--${kind}`} role={kind === 'success' ? 'status' : undefined}>
      {title && <p className="notice__title">{title}</p>}
      {children}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

/** Renders the notice for a feature that the server has no route for yet. */
export function Unavailable({ feature }: { feature: string }) {
  return (
    <Notice kind="warning" title="Not available">
      <p>This server does not provide {feature} yet. The section works once the server is updated.</p>
    </Notice>
  );
}
