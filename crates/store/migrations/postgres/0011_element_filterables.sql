-- The dashboard filters a chart element listens to (see the SQLite migration 0014).
ALTER TABLE dashboard_elements ADD COLUMN filterables TEXT;
