-- `apply_vis` of a query task (see the SQLite migration 0008).
ALTER TABLE query_tasks ADD COLUMN apply_vis BOOLEAN NOT NULL DEFAULT FALSE;
