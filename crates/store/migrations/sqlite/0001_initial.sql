-- Sightline's own state. Ids the API shows as strings are integers or random hex here.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT,
    is_disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE api3_credentials (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    client_id TEXT NOT NULL UNIQUE,
    -- sha256(salt || secret), hex; secrets are 24 random bytes, so a fast hash suffices.
    secret_hash TEXT NOT NULL,
    salt TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE access_tokens (
    -- sha256 of the token, hex: a leaked database does not leak live tokens.
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    expires_at INTEGER NOT NULL
);

CREATE TABLE queries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    -- Queries are immutable and de-duplicated by the hash of their normalised body.
    content_hash TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE query_tasks (
    id TEXT PRIMARY KEY,
    query_id INTEGER NOT NULL REFERENCES queries(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    result_format TEXT NOT NULL,
    source TEXT,
    row_limit TEXT,
    status TEXT NOT NULL,
    runtime REAL,
    error TEXT,
    content_type TEXT,
    result BLOB,
    created_at TEXT NOT NULL,
    finished_at TEXT
);

CREATE TABLE render_tasks (
    id TEXT PRIMARY KEY,
    query_id INTEGER NOT NULL REFERENCES queries(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    result_format TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    status TEXT NOT NULL,
    status_detail TEXT,
    query_runtime REAL,
    render_runtime REAL,
    runtime REAL,
    result BLOB,
    created_at TEXT NOT NULL,
    finalized_at TEXT
);
