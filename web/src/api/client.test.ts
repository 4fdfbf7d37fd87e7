import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { ApiError, apiUrl, onUnauthorized, request, retryAfterText, setCsrfToken } from './client';

type FetchCall = [string, RequestInit];

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

describe('request', () => {
  let fetchMock: ReturnType<typeof vi.fn>;

  beforeEach(() => {
    fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    setCsrfToken('csrf-1');
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    setCsrfToken(null);
    onUnauthorized(null);
  });

  it('sends the CSRF token on writes only', async () => {
    fetchMock.mockImplementation(async () => jsonResponse(200, {}));
    await request('api/articles');
    await request('api/articles', { method: 'POST', body: { title: 't' } });
    const [[, get], [, post]] = fetchMock.mock.calls as FetchCall[];
    expect((get.headers as Record<string, string>)['X-CSRF-Token']).toBeUndefined();
    expect((post.headers as Record<string, string>)['X-CSRF-Token']).toBe('csrf-1');
    expect(post.credentials).toBe('same-origin');
  });

  it('resolves paths against the document base', () => {
    expect(apiUrl('api/articles', { folder: '', q: undefined })).toBe(new URL('api/articles?folder=', document.baseURI).toString());
  });

  it('turns an error body into ApiError', async () => {
    fetchMock.mockResolvedValue(jsonResponse(412, { error: { code: 'version_mismatch', message: 'stale', requestId: 'r1', currentVersion: 4 } }));
    const error = await request('api/articles/a', { method: 'PUT', body: {} }).catch((cause: unknown) => cause);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 412, code: 'version_mismatch', requestId: 'r1' });
    expect((error as ApiError).details.currentVersion).toBe(4);
  });

  it('reports 401 to the listener', async () => {
    const listener = vi.fn();
    onUnauthorized(listener);
    fetchMock.mockResolvedValue(jsonResponse(401, { error: { code: 'unauthorized', message: 'no' } }));
    await expect(request('api/articles')).rejects.toBeInstanceOf(ApiError);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('retries once with a fresh CSRF token', async () => {
    fetchMock
      .mockResolvedValueOnce(jsonResponse(403, { error: { code: 'csrf_failed', message: 'bad token' } }))
      .mockResolvedValueOnce(jsonResponse(200, { name: 'admin', scope: 'write', admin: true, csrfToken: 'csrf-2' }))
      .mockResolvedValueOnce(jsonResponse(200, { ok: true }));
    const response = await request<{ ok: boolean }>('api/articles', { method: 'POST', body: {} });
    expect(response.data.ok).toBe(true);
    const retry = (fetchMock.mock.calls as FetchCall[])[2][1];
    expect((retry.headers as Record<string, string>)['X-CSRF-Token']).toBe('csrf-2');
  });

  it('keeps Retry-After for rate limits', async () => {
    fetchMock.mockResolvedValue(jsonResponse(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'Retry-After': '30' }));
    const error = (await request('api/auth/login', { method: 'POST', body: {}, quietUnauthorized: true }).catch((cause: unknown) => cause)) as ApiError;
    expect(retryAfterText(error)).toBe('Try again in 30 seconds.');
  });

  it('reports a network failure as status 0', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    await expect(request('api/articles')).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });

  it('recognises a missing route', () => {
    expect(new ApiError(404, 'not_found', 'no API route for GET /api/search', null).isMissingRoute).toBe(true);
    expect(new ApiError(404, 'not_found', 'article "x" not found', null).isMissingRoute).toBe(false);
  });
});
