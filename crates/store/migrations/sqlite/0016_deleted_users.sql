-- A deleted user (`DELETE /users/{id}`): the row stays, since their tasks and their Looks and
-- dashboards in the trash still name it, but no read of users finds it.
ALTER TABLE users ADD COLUMN deleted_at TEXT;
