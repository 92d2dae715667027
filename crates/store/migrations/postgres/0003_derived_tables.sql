-- Persistent derived tables built in warehouses' scratch schemas (see the SQLite migration 0006).
CREATE TABLE derived_tables (
    pdt_key TEXT PRIMARY KEY,
    connection TEXT NOT NULL,
    view TEXT NOT NULL,
    table_name TEXT NOT NULL,
    trigger_value TEXT,
    built_at BIGINT NOT NULL,
    stale_at BIGINT
);

-- `rebuild_pdts` of a query task (see the SQLite migration 0006).
ALTER TABLE query_tasks ADD COLUMN rebuild_pdts BOOLEAN NOT NULL DEFAULT FALSE;

-- Who is building a persistent derived table now (see the SQLite migration 0006).
CREATE TABLE derived_table_builds (
    pdt_key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    until BIGINT NOT NULL
);
