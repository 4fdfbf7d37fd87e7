import { useState, type FormEvent } from 'react';

import { ApiError } from '../api/client';
import { createToken, endMcpSessionsOfToken, listTokens, revokeToken } from '../api/endpoints';
import type { AccessToken, CreatedAccessToken, Scope } from '../api/types';
import { usePrincipal } from '../auth/session';
import { CopyButton } from '../components/CopyButton';
import { ConfirmDialog, Dialog } from '../components/Dialog';
import { ErrorMessage, Loading, Notice } from '../components/Feedback';
import { Field } from '../components/Field';
import { useDocumentTitle } from '../components/useDocumentTitle';
import { formatDate, formatDateTime, formatRelative, sessionCount } from '../lib/format';
import { mcpClientConfigs, mcpEndpoint } from '../lib/mcpConfig';
import { useAsync } from '../lib/useAsync';
import { useTheme, type ThemeChoice } from '../theme/theme';

const EXPIRY_OPTIONS = [
  { value: 'never', label: 'Never' },
  { value: '7', label: 'In 7 days' },
  { value: '30', label: 'In 30 days' },
  { value: '90', label: 'In 90 days' },
  { value: '365', label: 'In 1 year' },
  { value: 'date', label: 'On a date…' },
];

/** Returns the expiry as an ISO timestamp, or undefined for a token that never expires. */
export function expiryTimestamp(option: string, date: string, now: Date = new Date()): string | undefined {
  if (option === 'never') return undefined;
  if (option === 'date') return date ? new Date(`${date}T23:59:59`).toISOString() : undefined;
  return new Date(now.getTime() + Number(option) * 24 * 3600 * 1000).toISOString();
}

export function SettingsPage() {
  const principal = usePrincipal();
  useDocumentTitle('Settings');
  return (
    <div className="page settings-page">
      <h1>Settings</h1>
      <AppearanceSection />
      <section className="card" aria-labelledby="account-heading">
        <h2 id="account-heading">Account</h2>
        <dl className="definition-list">
          <dt>Signed in as</dt>
          <dd>{principal.name}</dd>
          <dt>Access</dt>
          <dd>{principal.scope === 'write' ? 'Read and write' : 'Read only'}</dd>
          <dt>Administrator</dt>
          <dd>{principal.admin ? 'Yes' : 'No'}</dd>
        </dl>
      </section>
      {principal.admin ? (
        <TokensSection />
      ) : (
        <section className="card" aria-labelledby="tokens-heading">
          <h2 id="tokens-heading">Access tokens</h2>
          <p className="muted">Only administrators can create and revoke access tokens.</p>
        </section>
      )}
    </div>
  );
}

function AppearanceSection() {
  const { choice, setChoice } = useTheme();
  const options: Array<{ value: ThemeChoice; label: string }> = [
    { value: 'system', label: 'Same as the system' },
    { value: 'light', label: 'Light' },
    { value: 'dark', label: 'Dark' },
  ];
  return (
    <section className="card" aria-labelledby="appearance-heading">
      <h2 id="appearance-heading">Appearance</h2>
      <fieldset className="radio-group">
        <legend>Theme</legend>
        {options.map((option) => (
          <label key={option.value} className="radio">
            <input type="radio" name="theme" value={option.value} checked={choice === option.value} onChange={() => setChoice(option.value)} />
            {option.label}
          </label>
        ))}
      </fieldset>
    </section>
  );
}

function TokensSection() {
  const tokens = useAsync((signal) => listTokens(signal), []);
  const [created, setCreated] = useState<CreatedAccessToken | null>(null);
  const [revoking, setRevoking] = useState<AccessToken | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [showInactive, setShowInactive] = useState(false);

  async function revoke(token: AccessToken) {
    setBusy(true);
    setError(null);
    try {
      await revokeToken(token.id);
      setNotice(`Revoked “${token.name}”. Clients using it can no longer sign in.`);
      tokens.reload();
    } catch (cause) {
      setError(cause as ApiError);
    } finally {
      setBusy(false);
      setRevoking(null);
    }
  }

  async function endSessions(token: AccessToken) {
    setError(null);
    try {
      const ended = await endMcpSessionsOfToken(token.id);
      setNotice(`Ended ${sessionCount(ended?.revoked)} of “${token.name}”.`);
    } catch (cause) {
      const apiError = cause as ApiError;
      if (apiError.isMissingRoute) setNotice('This server cannot end MCP sessions yet.');
      else setError(apiError);
    }
  }

  const visible = (tokens.data ?? []).filter((token) => showInactive || token.status === 'active');
  const inactiveCount = (tokens.data ?? []).filter((token) => token.status !== 'active').length;

  return (
    <section className="card" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">Access tokens</h2>
      <p className="muted">
        Tokens let MCP clients, scripts and people sign in. Read-only tokens can read and search; write tokens can also create, change and delete articles.
      </p>
      <CreateTokenForm
        onCreated={(token) => {
          setCreated(token);
          setNotice(null);
          tokens.reload();
        }}
      />
      {notice && (
        <Notice kind="success">
          <p>{notice}</p>
        </Notice>
      )}
      {error && <ErrorMessage error={error} />}
      {tokens.error && <ErrorMessage error={tokens.error} onRetry={tokens.reload} />}
      {!tokens.data && tokens.loading && <Loading label="Loading tokens…" />}
      {tokens.data && (
        <>
          <div className="table-header">
            <h3>Tokens</h3>
            {inactiveCount > 0 && (
              <label className="checkbox">
                <input type="checkbox" checked={showInactive} onChange={(event) => setShowInactive(event.target.checked)} />
                Show revoked and expired ({inactiveCount})
              </label>
            )}
          </div>
          {visible.length === 0 ? (
            <p className="empty-state">No active access tokens. Create one above.</p>
          ) : (
            <div className="table-scroll" role="region" aria-label="Access tokens" tabIndex={0}>
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Scope</th>
                    <th scope="col">Token</th>
                    <th scope="col">Created</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Status</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {visible.map((token) => (
                    <tr key={token.id}>
                      <th scope="row">{token.name}</th>
                      <td>
                        <span className={token.scope === 'write' ? 'badge' : 'badge badge--info'}>{token.scope}</span>
                      </td>
                      <td>
                        <code>{token.masked_token}</code>
                      </td>
                      <td>{formatDate(token.created_at)}</td>
                      <td>{token.last_used_at ? <time dateTime={token.last_used_at} title={formatDateTime(token.last_used_at)}>{formatRelative(token.last_used_at)}</time> : 'Never'}</td>
                      <td>{token.expires_at ? formatDate(token.expires_at) : 'Never'}</td>
                      <td>
                        <span className={`badge badge--status-${token.status}`}>{token.status}</span>
                      </td>
                      <td className="actions">
                        {token.status === 'active' && (
                          <>
                            <button type="button" className="button button--small" onClick={() => void endSessions(token)} aria-label={`End sessions of ${token.name}`}>
                              End sessions
                            </button>
                            <button type="button" className="button button--small button--danger" onClick={() => setRevoking(token)} aria-label={`Revoke ${token.name}`}>
                              Revoke
                            </button>
                          </>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}

      {created && <CreatedTokenDialog token={created} onClose={() => setCreated(null)} />}

      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke “${revoking?.name ?? ''}”?`}
        confirmLabel="Revoke token"
        danger
        busy={busy}
        onConfirm={() => revoking && void revoke(revoking)}
        onCancel={() => setRevoking(null)}
      >
        <p>Clients that use this token are signed out and cannot sign in with it again. This cannot be undone.</p>
      </ConfirmDialog>
    </section>
  );
}

function CreateTokenForm({ onCreated }: { onCreated(token: CreatedAccessToken): void }) {
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Scope>('write');
  const [expiry, setExpiry] = useState('never');
  const [date, setDate] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<{ name?: string; expiry?: string; form?: ApiError }>({});

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (name.trim() === '') {
      setErrors({ name: 'Enter a name, e.g. the client or person that uses the token.' });
      return;
    }
    if (expiry === 'date' && !date) {
      setErrors({ expiry: 'Choose the expiry date.' });
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const token = await createToken({ name: name.trim(), scope, expiresAt: expiryTimestamp(expiry, date) });
      setName('');
      onCreated(token);
    } catch (cause) {
      const error = cause as ApiError;
      if (error.code === 'invalid_name' || error.code === 'conflict') setErrors({ name: error.message });
      else if (error.code === 'invalid_expiry') setErrors({ expiry: error.message });
      else setErrors({ form: error });
    } finally {
      setBusy(false);
    }
  }

  const tomorrow = new Date(Date.now() + 24 * 3600 * 1000).toISOString().slice(0, 10);

  return (
    <form className="token-form" onSubmit={submit} noValidate aria-label="Create an access token">
      <h3>Create a token</h3>
      {errors.form && <ErrorMessage error={errors.form} />}
      <div className="token-form__fields">
        <Field label="Name" error={errors.name}>
          <input type="text" value={name} maxLength={100} onChange={(event) => setName(event.target.value)} placeholder="e.g. Claude Desktop on laptop" />
        </Field>
        <Field label="Scope">
          <select value={scope} onChange={(event) => setScope(event.target.value as Scope)}>
            <option value="write">Write: read and change articles</option>
            <option value="read-only">Read-only: read and search</option>
          </select>
        </Field>
        <Field label="Expires" error={expiry === 'date' ? undefined : errors.expiry}>
          <select value={expiry} onChange={(event) => setExpiry(event.target.value)}>
            {EXPIRY_OPTIONS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </Field>
        {expiry === 'date' && (
          <Field label="Expiry date" error={errors.expiry}>
            <input type="date" value={date} min={tomorrow} onChange={(event) => setDate(event.target.value)} />
          </Field>
        )}
      </div>
      <button type="submit" className="button button--primary" disabled={busy}>
        {busy ? 'Creating…' : 'Create token'}
      </button>
    </form>
  );
}

function CreatedTokenDialog({ token, onClose }: { token: CreatedAccessToken; onClose(): void }) {
  const claudeCode = mcpClientConfigs(mcpEndpoint(), token.token).find((config) => config.id === 'claude-code');
  return (
    <Dialog
      open
      title="Token created"
      onClose={onClose}
      wide
      actions={
        <button type="button" className="button button--primary" onClick={onClose}>
          I have copied the token
        </button>
      }
    >
      <Notice kind="warning">
        <p>
          Copy the token for “{token.name}” now. It is shown only once; afterwards only its last characters are visible.
        </p>
      </Notice>
      <div className="secret">
        <label htmlFor="created-token" className="field__label">
          Token ({token.scope})
        </label>
        <div className="secret__row">
          <input id="created-token" type="text" readOnly value={token.token} onFocus={(event) => event.target.select()} spellCheck={false} />
          <CopyButton text={token.token} label="Copy token" />
        </div>
      </div>
      {claudeCode && (
        <div className="secret">
          <p className="field__label">Add it to Claude Code</p>
          <pre className="snippet" tabIndex={0}>
            <code>{claudeCode.text}</code>
          </pre>
          <CopyButton text={claudeCode.text} label="Copy command" />
          <p className="field__hint">Other clients are listed on the Security page.</p>
        </div>
      )}
    </Dialog>
  );
}
