-- `generate_drill_links` of a query task (see the SQLite migration 0009).
ALTER TABLE query_tasks ADD COLUMN drill_links TEXT;
