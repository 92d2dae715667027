-- Group values of user attributes (see the SQLite migration 0018).
CREATE TABLE group_attribute_values (
    group_id BIGINT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_attribute_id BIGINT NOT NULL REFERENCES user_attributes(id) ON DELETE CASCADE,
    value TEXT NOT NULL,
    rank BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_attribute_id)
);
CREATE INDEX group_attribute_values_by_attribute ON group_attribute_values (user_attribute_id, rank);
