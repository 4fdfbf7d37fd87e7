import { useEffect, useMemo, useRef, useState } from 'react';

import { ApiError, apiUrl } from '../api/client';
import { endAllMcpSessions, endMcpSession, getMcpSettings, listMcpSessions, listRateLimits, listSecurityEvents, setMcpEnabled } from '../api/endpoints';
import { normalizeLevel, type EventLevel, type McpSession, type McpSettings, type SecurityEvent } from '../api/types';
import { usePrincipal } from '../auth/session';
import { CopyButton } from '../components/CopyButton';
import { ConfirmDialog } from '../components/Dialog';
import { EventsChart } from '../components/EventsChart';
import { ErrorMessage, Loading, Notice, Unavailable } from '../components/Feedback';
import { Switch, ToolbarField } from '../components/Field';
import { Tabs } from '../components/Tabs';
import { useDocumentTitle } from '../components/useDocumentTitle';
import { formatDateTime, formatDuration, formatTime, sessionCount } from '../lib/format';
import { mcpClientConfigs, mcpEndpoint } from '../lib/mcpConfig';
import { useAsync } from '../lib/useAsync';

/** Events kept in memory for the table and the chart; older ones are dropped. */
const MAX_EVENTS = 1000;
const RATE_LIMIT_REFRESH_MS = 10_000;
const SESSION_REFRESH_MS = 15_000;
const LEVELS: EventLevel[] = ['debug', 'info', 'warn', 'error'];

/** Reloads `reload` every `intervalMs` while the page is visible. */
function useInterval(reload: () => void, intervalMs: number, enabled: boolean) {
  useEffect(() => {
    if (!enabled) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, intervalMs);
    return () => window.clearInterval(timer);
  }, [reload, intervalMs, enabled]);
}

export function SecurityPage() {
  const principal = usePrincipal();
  useDocumentTitle('Security');
  if (!principal.admin) {
    return (
      <div className="page">
        <h1>Security</h1>
        <Notice kind="warning" title="Administrators only">
          <p>Sign in with the server's admin token to see security events, rate limits and MCP sessions.</p>
        </Notice>
      </div>
    );
  }
  return (
    <div className="page security-page">
      <h1>Security</h1>
      <McpSection />
      <EventsSection />
      <SessionsSection />
      <RateLimitsSection />
    </div>
  );
}

function mcpSwitchHint(settings: McpSettings): string {
  if (settings.available === false) return 'The server was started with MCP turned off (MCP_SERVER_ENABLED=false). Change it and restart the server.';
  if (settings.enabled) return 'MCP clients can connect with an access token.';
  return 'MCP requests are rejected. The web UI and REST API keep working.';
}

function McpSection() {
  const settings = useAsync((signal) => getMcpSettings(signal), []);
  const [confirmOff, setConfirmOff] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [client, setClient] = useState('claude-desktop');
  const endpoint = mcpEndpoint();
  const configs = useMemo(() => mcpClientConfigs(endpoint), [endpoint]);

  async function apply(enabled: boolean) {
    setBusy(true);
    setError(null);
    try {
      settings.setData(await setMcpEnabled(enabled));
    } catch (cause) {
      setError(cause as ApiError);
    } finally {
      setBusy(false);
      setConfirmOff(false);
    }
  }

  return (
    <section className="card" aria-labelledby="mcp-heading">
      <h2 id="mcp-heading">MCP endpoint</h2>
      <div className="endpoint">
        <code>{endpoint}</code>
        <CopyButton text={endpoint} label="Copy URL" />
      </div>
      {settings.error?.isMissingRoute ? (
        <Unavailable feature="a switch for the MCP endpoint" />
      ) : settings.error ? (
        <ErrorMessage error={settings.error} onRetry={settings.reload} />
      ) : settings.data ? (
        <Switch
          label="Accept MCP connections"
          checked={settings.data.enabled}
          disabled={busy || settings.data.available === false}
          onChange={(enabled) => (enabled ? void apply(true) : setConfirmOff(true))}
          hint={mcpSwitchHint(settings.data)}
        />
      ) : (
        <Loading />
      )}
      {error && <ErrorMessage error={error} />}

      <h3>Client configuration</h3>
      <p className="muted">Create an access token under Settings and put it in place of {'<your access token>'}.</p>
      <Tabs
        label="MCP clients"
        selected={client}
        onSelect={setClient}
        items={configs.map((config) => ({
          id: config.id,
          label: config.client,
          content: (
            <div className="client-config">
              <p className="field__hint">{config.location}</p>
              <pre className="snippet" tabIndex={0}>
                <code>{config.text}</code>
              </pre>
              <CopyButton text={config.text} label={`Copy ${config.client} configuration`} />
            </div>
          ),
        }))}
      />

      <ConfirmDialog
        open={confirmOff}
        title="Turn off MCP?"
        confirmLabel="Turn off"
        danger
        busy={busy}
        onConfirm={() => void apply(false)}
        onCancel={() => setConfirmOff(false)}
      >
        <p>Every MCP session ends, and MCP clients cannot connect until MCP is turned on again. The web UI and REST API keep working.</p>
      </ConfirmDialog>
    </section>
  );
}

interface EventFilterState {
  type: string;
  level: string;
  ip: string;
}

/** Merges two event lists newest first, without duplicate ids, keeping at most MAX_EVENTS. */
function mergeEvents(a: readonly SecurityEvent[], b: readonly SecurityEvent[]): SecurityEvent[] {
  const byId = new Map<string, SecurityEvent>();
  for (const event of [...a, ...b]) byId.set(String(event.id), event);
  return [...byId.values()].sort((x, y) => y.timestamp.localeCompare(x.timestamp)).slice(0, MAX_EVENTS);
}

function matchesFilter(event: SecurityEvent, filter: EventFilterState): boolean {
  if (filter.type && event.event !== filter.type) return false;
  if (filter.level && normalizeLevel(event.level) !== filter.level) return false;
  if (filter.ip && !(event.ip ?? '').startsWith(filter.ip)) return false;
  return true;
}

type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'paused' | 'unavailable';

function EventsSection() {
  const [filter, setFilter] = useState<EventFilterState>({ type: '', level: '', ip: '' });
  const [events, setEvents] = useState<SecurityEvent[]>([]);
  const [seenTypes, setSeenTypes] = useState<string[]>([]);
  const [paused, setPaused] = useState(false);
  const [buffered, setBuffered] = useState<SecurityEvent[]>([]);
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const [now, setNow] = useState(() => Date.now());
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  const initial = useAsync((signal) => listSecurityEvents({ ...filter, limit: 500 }, signal), [filter.type, filter.level, filter.ip]);

  // A new first page replaces the list but keeps streamed events that it does not contain yet.
  useEffect(() => {
    if (!initial.data) return;
    const fetched = initial.data;
    setEvents((current) => mergeEvents(fetched, current.filter((event) => matchesFilter(event, filterRef.current))));
  }, [initial.data]);

  const unavailable = initial.error?.isMissingRoute === true;
  // useAsync keeps the data of the first success while later filters load.
  const streamAllowed = initial.data !== undefined;

  useEffect(() => {
    const all = new Set(seenTypes);
    let changed = false;
    for (const event of events) {
      if (!all.has(event.event)) {
        all.add(event.event);
        changed = true;
      }
    }
    if (changed) setSeenTypes([...all].sort());
  }, [events, seenTypes]);

  // The live stream: one EventSource while the endpoint exists; each message's data is one event as JSON.
  // It opens once the first page loaded and stays open across filter changes, which apply to each message.
  useEffect(() => {
    if (unavailable || !streamAllowed) return;
    const source = new EventSource(apiUrl('api/security/events/stream'), { withCredentials: true });
    source.onopen = () => setStatus(pausedRef.current ? 'paused' : 'live');
    source.onerror = () => setStatus(source.readyState === EventSource.CLOSED ? 'unavailable' : 'reconnecting');
    const onEvent = (message: MessageEvent<string>) => {
      let event: SecurityEvent;
      try {
        event = JSON.parse(message.data) as SecurityEvent;
      } catch {
        return;
      }
      if (!matchesFilter(event, filterRef.current)) return;
      if (pausedRef.current) setBuffered((list) => [event, ...list].slice(0, MAX_EVENTS));
      else setEvents((list) => [event, ...list].slice(0, MAX_EVENTS));
    };
    // The server names its messages "security"; unnamed messages are accepted as well.
    source.addEventListener('security', onEvent);
    source.onmessage = onEvent;
    return () => source.close();
  }, [unavailable, streamAllowed]);

  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 15_000);
    return () => window.clearInterval(timer);
  }, []);

  function togglePause() {
    if (paused) {
      setEvents((list) => [...buffered, ...list].slice(0, MAX_EVENTS));
      setBuffered([]);
      setStatus('live');
    } else {
      setStatus('paused');
    }
    setPaused(!paused);
  }

  const statusText: Record<StreamStatus, string> = {
    connecting: 'Connecting…',
    live: 'Live',
    reconnecting: 'Connection lost, reconnecting…',
    paused: buffered.length > 0 ? `Paused, ${buffered.length} new` : 'Paused',
    unavailable: 'Live updates are not available',
  };

  return (
    <section className="card" aria-labelledby="events-heading">
      <div className="card__header">
        <h2 id="events-heading">Security events</h2>
        {!unavailable && initial.data && (
          <div className="button-row">
            <span className={`stream-status stream-status--${status}`} role="status">
              {statusText[status]}
            </span>
            <button type="button" className="button button--small" onClick={togglePause} aria-pressed={paused}>
              {paused ? 'Resume' : 'Pause'}
            </button>
          </div>
        )}
      </div>
      {unavailable ? (
        <Unavailable feature="security events" />
      ) : (
        <>
          <form className="toolbar" onSubmit={(event) => event.preventDefault()} aria-label="Filter events">
            <ToolbarField label="Type">
              <select value={filter.type} onChange={(event) => setFilter({ ...filter, type: event.target.value })}>
                <option value="">All types</option>
                {seenTypes.map((type) => (
                  <option key={type} value={type}>
                    {type}
                  </option>
                ))}
              </select>
            </ToolbarField>
            <ToolbarField label="Level">
              <select value={filter.level} onChange={(event) => setFilter({ ...filter, level: event.target.value })}>
                <option value="">All levels</option>
                {LEVELS.map((level) => (
                  <option key={level} value={level}>
                    {level}
                  </option>
                ))}
              </select>
            </ToolbarField>
            <ToolbarField label="IP address">
              <input type="search" value={filter.ip} onChange={(event) => setFilter({ ...filter, ip: event.target.value.trim() })} placeholder="e.g. 203.0.113.7" spellCheck={false} />
            </ToolbarField>
          </form>
          {initial.error && <ErrorMessage error={initial.error} onRetry={initial.reload} />}
          {!initial.data && initial.loading && <Loading label="Loading events…" />}
          {initial.data && (
            <>
              <EventsChart events={events} now={now} />
              <EventsTable events={events} />
            </>
          )}
        </>
      )}
    </section>
  );
}

function EventsTable({ events }: { events: SecurityEvent[] }) {
  if (events.length === 0) return <p className="empty-state">No events match the filter.</p>;
  return (
    <div className="table-scroll events-table" role="region" aria-label="Events, newest first" tabIndex={0}>
      <table className="table table--compact">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Level</th>
            <th scope="col">Event</th>
            <th scope="col">IP address</th>
            <th scope="col">Token</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {events.slice(0, 200).map((event) => (
            <tr key={String(event.id)}>
              <td className="nowrap">
                <time dateTime={event.timestamp} title={formatDateTime(event.timestamp)}>
                  {formatTime(event.timestamp)}
                </time>
              </td>
              <td>
                <span className={`badge badge--level-${normalizeLevel(event.level)}`}>{normalizeLevel(event.level)}</span>
              </td>
              <td>
                <code>{event.event}</code>
              </td>
              <td>{event.ip ?? ''}</td>
              <td>{event.token ?? ''}</td>
              <td className="events-table__details">
                {Object.keys(event.details ?? {}).length > 0 && <code>{JSON.stringify(event.details)}</code>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RateLimitsSection() {
  const limits = useAsync((signal) => listRateLimits(signal), []);
  const unavailable = limits.error?.isMissingRoute === true;
  useInterval(limits.reload, RATE_LIMIT_REFRESH_MS, !unavailable);

  return (
    <section className="card" aria-labelledby="limits-heading">
      <div className="card__header">
        <h2 id="limits-heading">Rate limits</h2>
        {!unavailable && (
          <button type="button" className="button button--small" onClick={limits.reload}>
            Refresh
          </button>
        )}
      </div>
      {unavailable ? (
        <Unavailable feature="rate-limit state" />
      ) : limits.error ? (
        <ErrorMessage error={limits.error} onRetry={limits.reload} />
      ) : !limits.data ? (
        <Loading />
      ) : limits.data.length === 0 ? (
        <p className="empty-state">No client is near a limit.</p>
      ) : (
        <div className="table-scroll" role="region" aria-label="Rate limits" tabIndex={0}>
          <table className="table table--compact">
            <thead>
              <tr>
                <th scope="col">Limiter</th>
                <th scope="col">Client</th>
                <th scope="col">Used</th>
                <th scope="col">Window</th>
                <th scope="col">Blocked for</th>
                <th scope="col" className="numeric">
                  Refused
                </th>
              </tr>
            </thead>
            <tbody>
              {limits.data.map((limit) => (
                <tr key={`${limit.limiter}-${limit.key}`}>
                  <td>{limit.limiter}</td>
                  <td>
                    <code>{limit.key}</code>
                  </td>
                  <td>
                    <meter min={0} max={limit.limit} value={limit.used} high={limit.limit * 0.8} optimum={0} aria-label={`${limit.used} of ${limit.limit}`} />{' '}
                    {limit.used} / {limit.limit}
                  </td>
                  <td>{formatDuration(limit.windowMs / 1000)}</td>
                  <td>{limit.retryAfterMs > 0 ? formatDuration(limit.retryAfterMs / 1000) : '—'}</td>
                  <td className="numeric">{limit.refusals ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function SessionsSection() {
  const sessions = useAsync((signal) => listMcpSessions(signal), []);
  const unavailable = sessions.error?.isMissingRoute === true;
  const [ending, setEnding] = useState<McpSession | 'all' | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  useInterval(sessions.reload, SESSION_REFRESH_MS, !unavailable);

  async function end() {
    if (!ending) return;
    setBusy(true);
    setError(null);
    try {
      const ended = ending === 'all' ? await endAllMcpSessions() : await endMcpSession(ending.id);
      setNotice(`Ended ${sessionCount(ended?.revoked)}.`);
      sessions.reload();
    } catch (cause) {
      setError(cause as ApiError);
    } finally {
      setBusy(false);
      setEnding(null);
    }
  }

  return (
    <section className="card" aria-labelledby="sessions-heading">
      <div className="card__header">
        <h2 id="sessions-heading">MCP sessions</h2>
        {!unavailable && sessions.data && sessions.data.length > 0 && (
          <button type="button" className="button button--small button--danger" onClick={() => setEnding('all')}>
            End all
          </button>
        )}
      </div>
      {error && <ErrorMessage error={error} />}
      {notice && (
        <Notice kind="success">
          <p>{notice}</p>
        </Notice>
      )}
      {unavailable ? (
        <Unavailable feature="the list of MCP sessions" />
      ) : sessions.error ? (
        <ErrorMessage error={sessions.error} onRetry={sessions.reload} />
      ) : !sessions.data ? (
        <Loading />
      ) : sessions.data.length === 0 ? (
        <p className="empty-state">No MCP client is connected.</p>
      ) : (
        <div className="table-scroll" role="region" aria-label="MCP sessions" tabIndex={0}>
          <table className="table table--compact">
            <thead>
              <tr>
                <th scope="col">Token</th>
                <th scope="col">IP address</th>
                <th scope="col">Age</th>
                <th scope="col">Idle</th>
                <th scope="col">Requests</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sessions.data.map((session) => (
                <tr key={session.id}>
                  <td>{session.tokenName ?? 'unknown'}</td>
                  <td>{session.ip ?? ''}</td>
                  <td title={formatDateTime(session.createdAt)}>{formatDuration(session.ageSeconds)}</td>
                  <td>{formatDuration(session.idleSeconds)}</td>
                  <td>{session.requests}</td>
                  <td className="actions">
                    <button type="button" className="button button--small button--danger" onClick={() => setEnding(session)} aria-label={`End session of ${session.tokenName ?? 'unknown token'} from ${session.ip ?? 'unknown address'}`}>
                      End
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        open={ending !== null}
        title={ending === 'all' ? 'End all MCP sessions?' : 'End this MCP session?'}
        confirmLabel="End"
        danger
        busy={busy}
        onConfirm={() => void end()}
        onCancel={() => setEnding(null)}
      >
        <p>
          {ending === 'all'
            ? 'Every connected MCP client must start a new session. Clients whose token is still valid can reconnect.'
            : 'The client must start a new session. If its token is still valid it can reconnect.'}
        </p>
      </ConfirmDialog>
    </section>
  );
}
