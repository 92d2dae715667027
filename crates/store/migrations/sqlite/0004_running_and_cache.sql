-- When a query task started running (the running-queries list shows how long it has run), the
-- cache options it was created with, whether it waits to be asked for (`deferred`), and where
-- its result came from.
ALTER TABLE query_tasks ADD COLUMN started_at TEXT;
ALTER TABLE query_tasks ADD COLUMN use_cache INTEGER NOT NULL DEFAULT 1;
ALTER TABLE query_tasks ADD COLUMN cache_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE query_tasks ADD COLUMN deferred INTEGER NOT NULL DEFAULT 0;
ALTER TABLE query_tasks ADD COLUMN result_source TEXT;
ALTER TABLE query_tasks ADD COLUMN cache_key TEXT;

-- The result cache: one formatted result per key (a hash of everything that determines its
-- bytes), as a file in results/ like task results. `stale_at` (seconds since 1970) is when the
-- explore's cache policy stops serving it; `trigger_value` the datagroup trigger's value when it
-- was stored (a different value now makes it stale too); `expires_at` when the file is removed.
CREATE TABLE result_cache (
    cache_key TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    result_file TEXT NOT NULL,
    trigger_value TEXT,
    created_at INTEGER NOT NULL,
    stale_at INTEGER,
    expires_at INTEGER NOT NULL
);

-- The queue is the tasks tables: a worker claims a waiting task by taking its lease (owner and
-- expiry, milliseconds since 1970) and renews it while it runs; a task whose lease has expired (its
-- process died) is put back to wait, once (`attempts` counts the claims).
ALTER TABLE query_tasks ADD COLUMN lease_owner TEXT;
ALTER TABLE query_tasks ADD COLUMN lease_until INTEGER;
ALTER TABLE query_tasks ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE render_tasks ADD COLUMN lease_owner TEXT;
ALTER TABLE render_tasks ADD COLUMN lease_until INTEGER;
ALTER TABLE render_tasks ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX query_tasks_waiting ON query_tasks (status, created_at);
CREATE INDEX render_tasks_waiting ON render_tasks (status, created_at);
-- The fair claim counts each waiting task's user's running tasks.
CREATE INDEX query_tasks_user_status ON query_tasks (user_id, status);
CREATE INDEX render_tasks_user_status ON render_tasks (user_id, status);
