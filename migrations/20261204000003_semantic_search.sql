-- Full-text and semantic search: a full-text index on articles, embedded chunks, and the
-- durable queue of articles waiting to be (re)embedded.

-- Full-text search over whole articles works without any embedding provider. Only the first
-- 250,000 characters of the content are indexed, because PostgreSQL rejects a tsvector larger
-- than 1 MB and a 10 MiB article could produce one.
alter table articles
    add column search_vector tsvector generated always as (
        setweight(to_tsvector('english', title), 'A')
        || setweight(to_tsvector('english', left(content, 250000)), 'B')
    ) stored;

create index articles_search_vector_idx on articles using gin (search_vector);

-- One row per embedding model that has produced vectors. Vectors of different models are never
-- compared, even when their dimensions match.
create table embedding_spaces (
    id         integer generated always as identity primary key,
    -- `local`, `ollama` or `openai`.
    provider   text        not null,
    model      text        not null,
    dimensions integer     not null check (dimensions between 1 and 16000),
    created_at timestamptz not null default now(),
    unique (provider, model, dimensions)
);

-- The embedding column has no fixed dimension, so a new model needs no schema change. An HNSW
-- index needs a fixed dimension, so the service creates one partial expression index per space
-- when that space is first used, for example:
--   create index chunks_embedding_space_1_idx on chunks
--       using hnsw ((embedding::vector(384)) vector_cosine_ops) where space_id = 1;
-- Queries repeat the same cast and the literal space id, so the planner can use it. HNSW builds
-- incrementally, so an index created on an empty table keeps its recall as rows arrive.
create table chunks (
    id            bigint generated always as identity primary key,
    article_id    bigint      not null references articles (id) on delete cascade,
    space_id      integer     not null references embedding_spaces (id) on delete cascade,
    chunk_index   integer     not null,
    -- Headings above the chunk, outermost first, without the `#` marks.
    heading_path  text[]      not null default '{}',
    text          text        not null,
    -- SHA-256 (hex) of the exact text that was embedded (title, headings and chunk text), so
    -- an unchanged chunk keeps its vector when the article is embedded again.
    content_hash  text        not null,
    embedding     vector      not null,
    -- Title weighted A; headings and chunk text weighted B.
    search_vector tsvector    not null,
    created_at    timestamptz not null default now(),
    unique (article_id, space_id, chunk_index)
);

create index chunks_space_idx on chunks (space_id);
create index chunks_search_vector_idx on chunks using gin (search_vector);

-- Durable queue: every article write adds or refreshes a pending task in the same transaction.
create table embedding_tasks (
    id              bigint generated always as identity primary key,
    article_id      bigint      not null references articles (id) on delete cascade,
    status          text        not null default 'pending'
                    check (status in ('pending', 'processing', 'completed', 'failed')),
    -- Why the task exists: create, update, restore, import, reindex, backfill or retry.
    reason          text        not null,
    -- Embed every chunk again instead of reusing vectors of unchanged chunks (full reindex).
    force           boolean     not null default false,
    -- Groups the tasks of one reindex run, so its progress can be reported.
    batch_id        uuid,
    attempts        integer     not null default 0,
    next_attempt_at timestamptz not null default now(),
    -- A processing task whose lease has expired (its worker died) may be claimed again.
    locked_until    timestamptz,
    last_error      text,
    -- Chunks written by the task that completed it.
    chunk_count     integer,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    started_at      timestamptz,
    finished_at     timestamptz
);

-- At most one pending task per article: a second write refreshes it instead of queueing twice.
create unique index embedding_tasks_one_pending_idx
    on embedding_tasks (article_id) where status = 'pending';
create index embedding_tasks_due_idx
    on embedding_tasks (next_attempt_at, id) where status = 'pending';
create index embedding_tasks_processing_idx
    on embedding_tasks (locked_until) where status = 'processing';
create index embedding_tasks_status_idx on embedding_tasks (status, finished_at);
create index embedding_tasks_batch_idx on embedding_tasks (batch_id) where batch_id is not null;
