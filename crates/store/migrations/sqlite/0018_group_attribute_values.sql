-- A user attribute's value for the users of a group, as Looker sets them: a user's own value
-- comes first, then the value of their group of lowest rank, then the attribute's default.
CREATE TABLE group_attribute_values (
    group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_attribute_id INTEGER NOT NULL REFERENCES user_attributes(id) ON DELETE CASCADE,
    value TEXT NOT NULL,
    rank INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_attribute_id)
);
CREATE INDEX group_attribute_values_by_attribute ON group_attribute_values (user_attribute_id, rank);
