-- Results move out of the database into files under the data directory, with an expiry
-- (seconds since 1970). Results stored as BLOBs before this are dropped: their tasks read as
-- expired, and the space is free to reuse.
ALTER TABLE query_tasks ADD COLUMN result_file TEXT;
ALTER TABLE query_tasks ADD COLUMN expires_at INTEGER;
ALTER TABLE render_tasks ADD COLUMN result_file TEXT;
ALTER TABLE render_tasks ADD COLUMN expires_at INTEGER;
UPDATE query_tasks SET result = NULL, expires_at = 0 WHERE result IS NOT NULL;
UPDATE render_tasks SET result = NULL, expires_at = 0 WHERE result IS NOT NULL;
