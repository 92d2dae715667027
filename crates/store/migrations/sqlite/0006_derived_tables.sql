-- Persistent derived tables built in warehouses' scratch schemas: one row per derived table and
-- build SQL (`pdt_key`, a hash of the connection and the SQL), naming the table that holds it
-- now, the trigger value it was built under, when it was built (milliseconds since 1970) and
-- when it stops being fresh (seconds since 1970; NULL: only its trigger makes it stale).
-- Servers sharing the metadata database share these.
CREATE TABLE derived_tables (
    pdt_key TEXT PRIMARY KEY,
    connection TEXT NOT NULL,
    view TEXT NOT NULL,
    table_name TEXT NOT NULL,
    trigger_value TEXT,
    built_at INTEGER NOT NULL,
    stale_at INTEGER
);

-- A query task created with `rebuild_pdts=true` builds the persistent derived tables it reads
-- again before it runs.
ALTER TABLE query_tasks ADD COLUMN rebuild_pdts INTEGER NOT NULL DEFAULT 0;

-- Who is building a persistent derived table now (the server's name, and until when, in
-- milliseconds since 1970): other servers needing it wait for that build instead of making
-- their own.
CREATE TABLE derived_table_builds (
    pdt_key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    until INTEGER NOT NULL
);
