/**
 * HTTP client for the server's REST API. Requests go to `api/…` relative to the document base
 * (the server injects `<base href>`, so a BASE_PATH prefix works), carry the session cookie, and
 * send the CSRF token on every request that is not a GET or HEAD.
 */

/** An error response from the API, or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  /** The whole `error` object, for codes that carry more fields (e.g. `currentVersion`). */
  readonly details: Record<string, unknown>;

  constructor(status: number, code: string, message: string, requestId: string | null, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.details = details;
  }

  /** True when the server has no such route, i.e. the feature does not exist on this server. */
  get isMissingRoute(): boolean {
    return this.status === 404 && this.code === 'not_found' && /no API route/i.test(this.message);
  }
}

let csrfToken: string | null = null;
let unauthorizedListener: (() => void) | null = null;

/** Stores the CSRF token of the current session (in memory only), or clears it with null. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Registers the callback run when a request returns 401, i.e. the session ended. */
export function onUnauthorized(listener: (() => void) | null): void {
  unauthorizedListener = listener;
}

/** Returns the absolute URL of an API path such as `api/articles`, resolved against the document base. */
export function apiUrl(path: string, query?: Record<string, string | number | undefined | null>): string {
  const url = new URL(path.replace(/^\//, ''), document.baseURI);
  if (query) {
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
  }
  return url.toString();
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Record<string, string | number | undefined | null>;
  body?: unknown;
  signal?: AbortSignal;
  /** Skip the 401 listener; used by the sign-in and session calls themselves. */
  quietUnauthorized?: boolean;
}

export interface ApiResponse<T> {
  data: T;
  headers: Headers;
  status: number;
}

async function errorFromResponse(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: a proxy error page or an empty body. The status line is all there is.
  }
  const retryAfter = response.headers.get('Retry-After');
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  if (error && typeof error === 'object') {
    return new ApiError(
      response.status,
      String(error.code ?? 'error'),
      String(error.message ?? response.statusText),
      typeof error.requestId === 'string' ? error.requestId : null,
      retryAfter ? { retryAfter, ...error } : error,
    );
  }
  return new ApiError(
    response.status,
    response.status === 429 ? 'rate_limited' : 'http_error',
    `The server returned ${response.status} ${response.statusText}`.trim(),
    response.headers.get('X-Request-Id'),
    retryAfter ? { retryAfter } : {},
  );
}

/**
 * Sends one request and parses the JSON body. Throws ApiError on a non-2xx status or a network
 * failure. A request rejected with `csrf_failed` is sent once more after reloading the session's
 * CSRF token, because signing in again in another tab replaces the session cookie and its token.
 */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  try {
    return await sendOnce<T>(path, options);
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'csrf_failed') throw error;
    const session = await sendOnce<{ csrfToken?: string }>('api/auth/session', { quietUnauthorized: true });
    if (!session.data?.csrfToken) throw error;
    setCsrfToken(session.data.csrfToken);
    return sendOnce<T>(path, options);
  }
}

async function sendOnce<T>(path: string, options: RequestOptions): Promise<ApiResponse<T>> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiError(0, 'network_error', 'Could not reach the server. Check your connection and try again.', null);
  }

  if (!response.ok) {
    const error = await errorFromResponse(response);
    if (response.status === 401 && !options.quietUnauthorized) unauthorizedListener?.();
    throw error;
  }

  const text = response.status === 204 ? '' : await response.text();
  const data = (text === '' ? null : JSON.parse(text)) as T;
  return { data, headers: response.headers, status: response.status };
}

/** Sends a request and returns only the parsed body. */
export async function requestJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  return (await request<T>(path, options)).data;
}

/** Returns "Retry in N seconds" text for a 429 error, or null for other errors. */
export function retryAfterText(error: ApiError): string | null {
  if (error.status !== 429) return null;
  const raw = error.details.retryAfter ?? error.details.retryAfterSeconds;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) return 'Try again later.';
  return seconds === 1 ? 'Try again in 1 second.' : `Try again in ${Math.ceil(seconds)} seconds.`;
}
