-- Content: folders and Looks. Two root folders as in Looker, Shared (1) and Users (2); each user
-- has a personal folder under Users, made with the user (and here for users made before).
CREATE TABLE folders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    parent_id INTEGER REFERENCES folders(id),
    creator_id INTEGER REFERENCES users(id),
    -- The user whose personal folder this is; NULL for other folders.
    personal_user_id INTEGER UNIQUE REFERENCES users(id),
    created_at TEXT NOT NULL
);
INSERT INTO folders (id, name, parent_id, created_at) VALUES (1, 'Shared', NULL, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
INSERT INTO folders (id, name, parent_id, created_at) VALUES (2, 'Users', NULL, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
INSERT INTO folders (name, parent_id, creator_id, personal_user_id, created_at)
    SELECT first_name || ' ' || last_name, 2, id, id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM users;

-- A Look: a saved query with a title, in a folder. `deleted` is Looker's soft delete (the
-- trash); DELETE removes the row.
CREATE TABLE looks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    description TEXT,
    query_id INTEGER NOT NULL REFERENCES queries(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    folder_id INTEGER NOT NULL REFERENCES folders(id),
    is_run_on_load INTEGER NOT NULL DEFAULT 0,
    public INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    deleted_at TEXT,
    deleter_id INTEGER REFERENCES users(id),
    last_updater_id INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX looks_folder ON looks (folder_id);

-- A render task of a Look draws the Look's query under the Look's title.
ALTER TABLE render_tasks ADD COLUMN look_id INTEGER REFERENCES looks(id) ON DELETE SET NULL;
