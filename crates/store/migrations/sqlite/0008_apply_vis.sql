-- A query task created with `apply_vis=true` shapes its table by its query's vis options.
ALTER TABLE query_tasks ADD COLUMN apply_vis INTEGER NOT NULL DEFAULT 0;
