-- How long each phase of a query task's run took (seconds, a JSON object by phase name: queue,
-- compile, cache, turn, database, format), as the engine measured it; shown on the task.
ALTER TABLE query_tasks ADD COLUMN phases TEXT;
