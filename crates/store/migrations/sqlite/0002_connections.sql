-- Connections created through the API (those in the TOML config are not stored). `definition`
-- is the connection's JSON, password included: it must be usable to connect, so it is not
-- hashed; it is never sent back by the API.
CREATE TABLE connections (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
