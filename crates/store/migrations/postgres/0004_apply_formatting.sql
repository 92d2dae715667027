-- `apply_formatting` of a query task (see the SQLite migration 0007).
ALTER TABLE query_tasks ADD COLUMN apply_formatting BOOLEAN NOT NULL DEFAULT FALSE;
