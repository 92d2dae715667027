-- How long each phase of a query task's run took (see the SQLite migration 0005).
ALTER TABLE query_tasks ADD COLUMN phases TEXT;
