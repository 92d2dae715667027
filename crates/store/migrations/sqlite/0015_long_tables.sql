-- A dashboard render task's `long_tables`: its table tiles grow to show every row.
ALTER TABLE render_tasks ADD COLUMN long_tables INTEGER NOT NULL DEFAULT 0;
