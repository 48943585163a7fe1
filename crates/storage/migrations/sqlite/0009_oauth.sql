-- OAuth 2.1 for the MCP endpoints (workspace/oauth.rs). Codes and tokens are kept as
-- SHA-256 digests only; times are unix millis.

-- Clients: a client ID metadata document (client_id is its URL, fetched again after
-- fresh_until) or a dynamic registration (RFC 7591; secret_digest for a confidential one).
CREATE TABLE oauth_clients (
    client_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    secret_digest TEXT,
    registered_from TEXT,
    created_at INTEGER NOT NULL,
    fresh_until INTEGER
);
CREATE INDEX oauth_clients_registered ON oauth_clients (registered_from, created_at);

-- A user's consent to a client: what its tokens may do (scope) and where (resource).
CREATE TABLE oauth_grants (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES oauth_clients(client_id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    scope TEXT NOT NULL,
    resource TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX oauth_grants_user ON oauth_grants (user_id);
CREATE INDEX oauth_grants_client ON oauth_grants (client_id);

-- Single-use codes; a used one is kept until it expires, to revoke its grant if replayed.
CREATE TABLE oauth_codes (
    digest TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES oauth_clients(client_id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    scope TEXT NOT NULL,
    resource TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    grant_id INTEGER REFERENCES oauth_grants(id) ON DELETE SET NULL
);
CREATE INDEX oauth_codes_expiry ON oauth_codes (expires_at);

CREATE TABLE oauth_access_tokens (
    digest TEXT PRIMARY KEY,
    grant_id INTEGER NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
CREATE INDEX oauth_access_tokens_grant ON oauth_access_tokens (grant_id);

-- Every refresh token of a grant: the current one (replaced_at NULL) and those it replaced,
-- with the nonce their successor pair was derived from (the grace's repeat answer).
CREATE TABLE oauth_refresh_tokens (
    digest TEXT PRIMARY KEY,
    grant_id INTEGER NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    replaced_at INTEGER,
    next_nonce TEXT
);
CREATE INDEX oauth_refresh_tokens_grant ON oauth_refresh_tokens (grant_id);

-- Which ways of registration the workspace accepts; one row, absent means both.
CREATE TABLE oauth_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    metadata_documents INTEGER NOT NULL,
    dynamic_registration INTEGER NOT NULL
);
