-- MCP sessions, written through by the session registry so sessions survive a restart.
create table mcp_sessions (
    -- SHA-256 of the session id; the id itself is never stored.
    id_hash           bytea       primary key,
    token_id          bigint      references access_tokens (id) on delete cascade,
    token_name        text,
    ip                text,
    created_at        timestamptz not null default now(),
    last_seen_at      timestamptz not null default now(),
    request_count     bigint      not null default 0,
    -- The client's initialize parameters, so rmcp can restore the session after a restart.
    initialize_params jsonb
);

create index mcp_sessions_token_idx on mcp_sessions (token_id);
