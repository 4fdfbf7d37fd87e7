/** One function per REST endpoint the UI uses. */

import { request, requestJson } from './client';
import type {
  AccessToken,
  Article,
  ArticleChanges,
  ArticlePage,
  ArticleSummary,
  ArticleVersion,
  CreatedAccessToken,
  McpSession,
  McpSettings,
  NewArticle,
  Principal,
  PublicArticle,
  RateLimitState,
  Scope,
  SearchHit,
  SearchMode,
  SecurityEvent,
  VersionSummary,
} from './types';

const slugPath = (slug: string) => `api/articles/${encodeURIComponent(slug)}`;

/** Encodes each segment of a folder path, keeping the slashes between them. */
const folderPath = (folder: string) => folder.split('/').map(encodeURIComponent).join('/');

// Session

export const signIn = (token: string) =>
  requestJson<Principal>('api/auth/login', { method: 'POST', body: { token }, quietUnauthorized: true });

export const fetchSession = () => requestJson<Principal>('api/auth/session', { quietUnauthorized: true });

export const signOut = () => request<null>('api/auth/logout', { method: 'POST', quietUnauthorized: true });

// Articles

export interface ArticleQuery {
  /** Omitted: every folder. Empty string: the root folder only. Otherwise the folder and its subfolders. */
  folder?: string;
  /** Case-insensitive text the title must contain. */
  q?: string;
  limit?: number;
  offset?: number;
}

export async function listArticles(query: ArticleQuery, signal?: AbortSignal): Promise<ArticlePage> {
  const response = await request<ArticleSummary[]>('api/articles', {
    query: { folder: query.folder, q: query.q || undefined, limit: query.limit, offset: query.offset },
    signal,
  });
  const total = Number(response.headers.get('X-Total-Count'));
  return { items: response.data, total: Number.isFinite(total) ? total : response.data.length };
}

/** The server's largest page size. */
export const MAX_PAGE_SIZE = 1000;

/** Fetches every article that matches the filter, following pages of MAX_PAGE_SIZE. */
export async function listAllArticles(query: Omit<ArticleQuery, 'limit' | 'offset'>, signal?: AbortSignal): Promise<ArticleSummary[]> {
  const items: ArticleSummary[] = [];
  for (;;) {
    const page = await listArticles({ ...query, limit: MAX_PAGE_SIZE, offset: items.length }, signal);
    items.push(...page.items);
    if (page.items.length === 0 || items.length >= page.total) return items;
  }
}

export const getArticle = (slug: string, signal?: AbortSignal) => requestJson<Article>(slugPath(slug), { signal });

export const createArticle = (article: NewArticle) =>
  requestJson<Article>('api/articles', { method: 'POST', body: article });

export const updateArticle = (slug: string, changes: ArticleChanges) =>
  requestJson<Article>(slugPath(slug), { method: 'PUT', body: changes });

export const deleteArticle = (slug: string) => request<null>(slugPath(slug), { method: 'DELETE' });

export const setArticlePublic = (slug: string, isPublic: boolean) =>
  requestJson<{ success: boolean; isPublic: boolean }>(`${slugPath(slug)}/public`, { method: 'POST', body: { isPublic } });

export const renameSlug = (slug: string, newSlug: string) =>
  requestJson<Article>(`${slugPath(slug)}/rename-slug`, { method: 'POST', body: { newSlug } });

export const listVersions = (slug: string, signal?: AbortSignal) =>
  requestJson<VersionSummary[]>(`${slugPath(slug)}/versions`, { signal });

export const getVersion = (slug: string, version: number, signal?: AbortSignal) =>
  requestJson<ArticleVersion>(`${slugPath(slug)}/versions/${version}`, { signal });

export const restoreVersion = (slug: string, version: number, message: string) =>
  requestJson<Article>(`${slugPath(slug)}/versions/${version}/restore`, { method: 'PUT', body: { message } });

export const getPublicArticle = (slug: string, signal?: AbortSignal) =>
  requestJson<PublicArticle>(`api/public-articles/${encodeURIComponent(slug)}`, { signal, quietUnauthorized: true });

export const searchArticles = (params: { query: string; mode: SearchMode; k?: number; folder?: string }, signal?: AbortSignal) =>
  requestJson<SearchHit[]>('api/search', {
    query: { query: params.query, mode: params.mode, k: params.k ?? 20, folder: params.folder },
    signal,
  });

// Folders

export const listFolders = (signal?: AbortSignal) => requestJson<string[]>('api/folders', { signal });

export const renameFolder = (folder: string, newName: string) =>
  requestJson<unknown>(`api/folders/manage/${folderPath(folder)}`, { method: 'PUT', body: { newName } });

export const deleteFolder = (folder: string) =>
  request<unknown>(`api/folders/manage/${folderPath(folder)}`, { method: 'DELETE' });

// Access tokens

export const listTokens = (signal?: AbortSignal) => requestJson<AccessToken[]>('api/access-tokens', { signal });

export const createToken = (body: { name: string; scope: Scope; expiresAt?: string }) =>
  requestJson<CreatedAccessToken>('api/access-tokens', { method: 'POST', body });

export const revokeToken = (id: number) => request<unknown>(`api/access-tokens/${id}`, { method: 'DELETE' });

// Security

export interface EventFilter {
  type?: string;
  level?: string;
  ip?: string;
  limit?: number;
}

export const listSecurityEvents = (filter: EventFilter, signal?: AbortSignal) =>
  requestJson<SecurityEvent[]>('api/security/events', {
    query: { type: filter.type || undefined, level: filter.level || undefined, ip: filter.ip || undefined, limit: filter.limit },
    signal,
  });

export const listRateLimits = (signal?: AbortSignal) => requestJson<RateLimitState[]>('api/security/rate-limits', { signal });

export const listMcpSessions = (signal?: AbortSignal) => requestJson<McpSession[]>('api/security/sessions', { signal });

/** Response of the session-ending calls: how many MCP sessions ended. */
export interface EndedSessions {
  revoked?: number;
}

export const endMcpSession = (id: string) =>
  requestJson<EndedSessions | null>(`api/security/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });

export const endMcpSessionsOfToken = (tokenId: number) =>
  requestJson<EndedSessions | null>('api/security/sessions', { method: 'DELETE', query: { tokenId } });

export const endAllMcpSessions = () => requestJson<EndedSessions | null>('api/security/sessions', { method: 'DELETE' });

export const getMcpSettings = (signal?: AbortSignal) => requestJson<McpSettings>('api/settings/mcp', { signal });

export const setMcpEnabled = (enabled: boolean) =>
  requestJson<McpSettings>('api/settings/mcp', { method: 'PUT', body: { enabled } });
