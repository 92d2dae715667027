-- A dashboard render task's `long_tables` (see the SQLite migration 0015).
ALTER TABLE render_tasks ADD COLUMN long_tables BOOLEAN NOT NULL DEFAULT FALSE;
