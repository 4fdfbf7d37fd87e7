/** JSON shapes of the server's REST API under /api. */

export type Scope = 'write' | 'read-only';

/** The signed-in principal, as returned by /api/auth/login and /api/auth/session. */
export interface Principal {
  name: string;
  scope: Scope;
  admin: boolean;
  csrfToken: string;
}

/** An article without its content, as listed by GET /api/articles. */
export interface ArticleSummary {
  filename: string;
  slug: string;
  title: string;
  /** Folder path such as `guides/rust`; empty for the root folder. */
  folder: string;
  created: string;
  modified: string;
  isPublic: boolean;
  noRag: boolean;
  version: number;
  modifiedBy: string | null;
}

export interface Article extends ArticleSummary {
  content: string;
  createdBy: string | null;
}

export interface ArticlePage {
  items: ArticleSummary[];
  /** Number of articles matching the filter, from the X-Total-Count header. */
  total: number;
}

export interface VersionSummary {
  versionId: string;
  version: number;
  title: string;
  createdAt: string;
  createdBy: string | null;
  message: string;
  hash: string;
  /** Content size in bytes. */
  size: number;
}

export interface ArticleVersion {
  version: number;
  title: string;
  folder: string;
  content: string;
  message: string;
  created: string;
  createdBy: string | null;
}

export interface PublicArticle {
  filename: string;
  slug: string;
  title: string;
  content: string;
  created: string;
  modified: string;
}

export interface NewArticle {
  title: string;
  content: string;
  folder?: string;
  slug?: string;
  message?: string;
  noRag?: boolean;
  isPublic?: boolean;
}

export interface ArticleChanges {
  title?: string;
  content?: string;
  folder?: string;
  noRag?: boolean;
  message?: string;
  expectedVersion?: number;
}

export type TokenStatus = 'active' | 'revoked' | 'expired';

export interface AccessToken {
  id: number;
  name: string;
  scope: Scope;
  masked_token: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  status: TokenStatus;
}

export interface CreatedAccessToken extends AccessToken {
  /** The full secret; the server returns it only once, in the response to its creation. */
  token: string;
}

export type SearchMode = 'hybrid' | 'fulltext' | 'semantic';

export interface SearchHit {
  slug: string;
  title: string;
  folder: string;
  headingPath: string[];
  snippet: string;
  score: number;
}

export type EventLevel = 'debug' | 'info' | 'warn' | 'error';

/** Returns the level in the UI's spelling; the server sends "warning" for `warn`. */
export function normalizeLevel(level: string): EventLevel | string {
  return level === 'warning' ? 'warn' : level;
}

export interface SecurityEvent {
  id: number | string;
  timestamp: string;
  event: string;
  /** One of EventLevel; read it through normalizeLevel. */
  level: string;
  ip: string | null;
  token: string | null;
  details: Record<string, unknown>;
}

export interface RateLimitState {
  limiter: string;
  key: string;
  used: number;
  limit: number;
  windowMs: number;
  retryAfterMs: number;
  /** Requests refused in the current window, when the server reports it. */
  refusals?: number;
}

export interface McpSession {
  id: string;
  tokenId?: number;
  tokenName: string | null;
  ip: string | null;
  createdAt: string;
  ageSeconds: number;
  idleSeconds: number;
  requests: number;
}

export interface McpSettings {
  enabled: boolean;
  /** False when the server started with MCP turned off in its configuration; then it cannot be turned on here. */
  available?: boolean;
}
