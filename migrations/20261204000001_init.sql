-- Articles, their versions, and access tokens.
create extension if not exists vector;

create table articles (
    id          bigint generated always as identity primary key,
    slug        text        not null unique,
    title       text        not null,
    folder      text        not null default '',
    content     text        not null,
    is_public   boolean     not null default false,
    no_rag      boolean     not null default false,
    -- Number of the newest row in article_versions; clients send it back to detect lost updates.
    version     integer     not null default 1,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    created_by  text,
    updated_by  text
);

create index articles_folder_idx on articles (folder text_pattern_ops);
create index articles_updated_at_idx on articles (updated_at desc, id desc);
create index articles_public_idx on articles (slug) where is_public;

create table article_versions (
    article_id   bigint      not null references articles (id) on delete cascade,
    version      integer     not null,
    title        text        not null,
    folder       text        not null,
    content      text        not null,
    message      text        not null default '',
    content_hash text        not null,
    created_at   timestamptz not null default now(),
    created_by   text,
    primary key (article_id, version)
);

create table access_tokens (
    id           bigint generated always as identity primary key,
    name         text        not null,
    scope        text        not null check (scope in ('read-only', 'write')),
    -- SHA-256 of the full token; the token itself is never stored.
    token_hash   bytea       not null unique,
    -- First characters of the token, shown in listings so people can tell tokens apart.
    prefix       text        not null,
    created_at   timestamptz not null default now(),
    last_used_at timestamptz,
    expires_at   timestamptz,
    revoked_at   timestamptz
);
