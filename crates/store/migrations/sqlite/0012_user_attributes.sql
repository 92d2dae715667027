-- User attributes: named values per user (with a default), read by access filters, access
-- grants and Liquid's `_user_attributes`. The system attributes come first; their values are the
-- user's own fields, never stored.
CREATE TABLE user_attributes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    kind TEXT NOT NULL,
    default_value TEXT,
    is_system INTEGER NOT NULL DEFAULT 0,
    value_is_hidden INTEGER NOT NULL DEFAULT 0,
    user_can_view INTEGER NOT NULL DEFAULT 1,
    user_can_edit INTEGER NOT NULL DEFAULT 0
);
INSERT INTO user_attributes (name, label, kind, is_system) VALUES
    ('email', 'Email', 'string', 1),
    ('first_name', 'First Name', 'string', 1),
    ('last_name', 'Last Name', 'string', 1),
    ('name', 'Name', 'string', 1),
    ('id', 'ID', 'number', 1);

CREATE TABLE user_attribute_values (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_attribute_id INTEGER NOT NULL REFERENCES user_attributes(id) ON DELETE CASCADE,
    value TEXT NOT NULL,
    PRIMARY KEY (user_id, user_attribute_id)
);
