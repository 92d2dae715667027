-- Roles: a permission set (what a user may do) with a model set (on which models), as in
-- Looker. A user's grants are the union of their roles. The built-in sets and roles come first;
-- the first user (the admin `ensure_admin` made) keeps the Admin role.
CREATE TABLE permission_sets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    -- Permission names joined with commas (names are lowercase letters and underscores).
    permissions TEXT NOT NULL,
    all_access INTEGER NOT NULL DEFAULT 0,
    built_in INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE model_sets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    -- Model names joined with commas (LookML names have no commas).
    models TEXT NOT NULL,
    all_access INTEGER NOT NULL DEFAULT 0,
    built_in INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE roles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    permission_set_id INTEGER NOT NULL REFERENCES permission_sets(id),
    model_set_id INTEGER NOT NULL REFERENCES model_sets(id)
);
CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_by_role ON user_roles (role_id);

INSERT INTO permission_sets (name, permissions, all_access, built_in) VALUES
    ('Admin', '', 1, 1),
    ('Viewer', 'access_data,see_lookml_dashboards,see_looks,see_user_dashboards', 0, 1),
    ('User', 'access_data,see_lookml_dashboards,see_looks,see_user_dashboards,explore,create_table_calculations,create_custom_fields,save_content', 0, 1),
    ('Developer', 'access_data,see_lookml_dashboards,see_looks,see_user_dashboards,explore,create_table_calculations,create_custom_fields,save_content,see_sql,see_queries,see_users', 0, 1);
INSERT INTO model_sets (name, models, all_access, built_in) VALUES ('All', '', 1, 1);
INSERT INTO roles (name, permission_set_id, model_set_id)
    SELECT p.name, p.id, m.id FROM permission_sets p, model_sets m WHERE m.name = 'All' ORDER BY p.id;
INSERT INTO user_roles (user_id, role_id)
    SELECT (SELECT MIN(id) FROM users), id FROM roles WHERE name = 'Admin' AND EXISTS (SELECT 1 FROM users);
