-- A query task created with `apply_formatting=true` writes its cells as their value formats
-- render them.
ALTER TABLE query_tasks ADD COLUMN apply_formatting INTEGER NOT NULL DEFAULT 0;
