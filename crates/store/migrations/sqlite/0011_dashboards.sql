-- Dashboards: tiles (elements: a query's or a Look's chart, or text) placed by the components
-- of a layout on Looker's 24-column grid. A dashboard gets one layout when it is made, and an
-- element one component in each of its dashboard's layouts when it is added.
CREATE TABLE dashboards (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    description TEXT,
    folder_id INTEGER NOT NULL REFERENCES folders(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    deleted INTEGER NOT NULL DEFAULT 0,
    deleted_at TEXT,
    deleter_id INTEGER REFERENCES users(id),
    last_updater_id INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX dashboards_folder ON dashboards (folder_id);

-- `kind` is Looker's element `type`: `vis` (query_id, or look_id whose query it draws) or `text`.
-- A Look deleted later leaves its tiles without a source; they draw the error in place.
CREATE TABLE dashboard_elements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dashboard_id INTEGER NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    title TEXT,
    title_hidden INTEGER NOT NULL DEFAULT 0,
    title_text TEXT,
    subtitle_text TEXT,
    body_text TEXT,
    query_id INTEGER REFERENCES queries(id),
    look_id INTEGER REFERENCES looks(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX dashboard_elements_dashboard ON dashboard_elements (dashboard_id);

CREATE TABLE dashboard_layouts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dashboard_id INTEGER NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
    kind TEXT NOT NULL DEFAULT 'newspaper',
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE INDEX dashboard_layouts_dashboard ON dashboard_layouts (dashboard_id);

-- Where an element sits in a layout, in grid units (24 columns; rows as tall as needed).
CREATE TABLE dashboard_layout_components (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dashboard_layout_id INTEGER NOT NULL REFERENCES dashboard_layouts(id) ON DELETE CASCADE,
    dashboard_element_id INTEGER NOT NULL REFERENCES dashboard_elements(id) ON DELETE CASCADE,
    grid_row INTEGER NOT NULL,
    grid_column INTEGER NOT NULL,
    grid_width INTEGER NOT NULL,
    grid_height INTEGER NOT NULL
);
CREATE INDEX dashboard_layout_components_layout ON dashboard_layout_components (dashboard_layout_id);

-- Dashboard filters: a `field_filter` on `dimension` of `model`/`explore`, applied to the
-- dashboard's charts of that explore. `listens_to_filters` is a JSON list of filter names.
CREATE TABLE dashboard_filters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dashboard_id INTEGER NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    default_value TEXT,
    model TEXT,
    explore TEXT,
    dimension TEXT,
    grid_row INTEGER,
    listens_to_filters TEXT NOT NULL DEFAULT '[]',
    allow_multiple_values INTEGER NOT NULL DEFAULT 1,
    required INTEGER NOT NULL DEFAULT 0,
    UNIQUE (dashboard_id, name)
);

-- A render task draws a query, a Look, a dashboard (stored, or a LookML one) or one dashboard
-- element: `query_id` becomes
-- optional (SQLite cannot drop NOT NULL in place, so the table is made again).
CREATE TABLE render_tasks_new (
    id TEXT PRIMARY KEY,
    query_id INTEGER REFERENCES queries(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    result_format TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    status TEXT NOT NULL,
    status_detail TEXT,
    query_runtime REAL,
    render_runtime REAL,
    runtime REAL,
    result BLOB,
    created_at TEXT NOT NULL,
    finalized_at TEXT,
    result_file TEXT,
    expires_at INTEGER,
    lease_owner TEXT,
    lease_until INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    look_id INTEGER REFERENCES looks(id) ON DELETE SET NULL,
    dashboard_id INTEGER REFERENCES dashboards(id) ON DELETE SET NULL,
    dashboard_element_id INTEGER REFERENCES dashboard_elements(id) ON DELETE SET NULL,
    -- A LookML dashboard (`model::name`), which lives in the project, not in this database.
    lookml_dashboard_id TEXT,
    -- `tiled` or `single_column`, for a dashboard; its filter values in URL query form.
    dashboard_style TEXT,
    dashboard_filters TEXT,
    -- A dashboard's PDF on pages of a paper size (`a4`, or `a4 landscape`); NULL: one page of
    -- the image's size.
    pdf_paper TEXT
);
INSERT INTO render_tasks_new (id, query_id, user_id, result_format, width, height, status, status_detail, query_runtime,
    render_runtime, runtime, result, created_at, finalized_at, result_file, expires_at, lease_owner, lease_until, attempts, look_id)
SELECT id, query_id, user_id, result_format, width, height, status, status_detail, query_runtime,
    render_runtime, runtime, result, created_at, finalized_at, result_file, expires_at, lease_owner, lease_until, attempts, look_id
FROM render_tasks;
DROP TABLE render_tasks;
ALTER TABLE render_tasks_new RENAME TO render_tasks;
CREATE INDEX render_tasks_waiting ON render_tasks (status, created_at);
CREATE INDEX render_tasks_user_status ON render_tasks (user_id, status);
