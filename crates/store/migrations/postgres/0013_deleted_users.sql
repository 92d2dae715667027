-- A deleted user (see the SQLite migration 0016).
ALTER TABLE users ADD COLUMN deleted_at TEXT;
