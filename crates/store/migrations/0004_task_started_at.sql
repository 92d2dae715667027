-- When a query task started running (the running-queries list shows how long it has run).
ALTER TABLE query_tasks ADD COLUMN started_at TEXT;
