-- A query task created with `generate_drill_links=true`: the `path_prefix` of its links (empty
-- for none); NULL when it has none.
ALTER TABLE query_tasks ADD COLUMN drill_links TEXT;
