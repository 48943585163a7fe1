-- Times are unix milliseconds (INTEGER); dates are ISO text (YYYY-MM-DD).
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- The last task number handed out; only ever grows, so numbers are never reused.
    task_counter INTEGER NOT NULL DEFAULT 0,
    cycle_counter INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE memberships (
    team_id INTEGER NOT NULL REFERENCES teams(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships(user_id);

CREATE TABLE statuses (
    id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('backlog', 'unstarted', 'started', 'completed', 'canceled')),
    position INTEGER NOT NULL,
    color TEXT NOT NULL,
    UNIQUE (team_id, name)
);

CREATE TABLE labels (
    id INTEGER PRIMARY KEY,
    team_id INTEGER REFERENCES teams(id), -- NULL: workspace-wide
    name TEXT NOT NULL,
    color TEXT NOT NULL
);
CREATE INDEX labels_by_team ON labels(team_id);

CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('planned', 'started', 'paused', 'completed', 'canceled')),
    lead_id INTEGER REFERENCES users(id),
    start_date TEXT,
    target_date TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE project_teams (
    project_id INTEGER NOT NULL REFERENCES projects(id),
    team_id INTEGER NOT NULL REFERENCES teams(id),
    PRIMARY KEY (project_id, team_id)
);
CREATE INDEX project_teams_by_team ON project_teams(team_id);

CREATE TABLE milestones (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    target_date TEXT,
    position INTEGER NOT NULL
);
CREATE INDEX milestones_by_project ON milestones(project_id);

CREATE TABLE cycles (
    id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams(id),
    number INTEGER NOT NULL,
    name TEXT,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    UNIQUE (team_id, number)
);

CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams(id),
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status_id INTEGER NOT NULL REFERENCES statuses(id),
    priority INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 4),
    assignee_id INTEGER REFERENCES users(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    project_id INTEGER REFERENCES projects(id),
    milestone_id INTEGER REFERENCES milestones(id),
    cycle_id INTEGER REFERENCES cycles(id),
    due_date TEXT,
    estimate INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    started_at INTEGER,
    completed_at INTEGER,
    canceled_at INTEGER,
    deleted_at INTEGER,
    UNIQUE (team_id, number)
);
CREATE INDEX tasks_by_status ON tasks(status_id);
CREATE INDEX tasks_by_assignee ON tasks(assignee_id);
CREATE INDEX tasks_by_project ON tasks(project_id);
CREATE INDEX tasks_by_milestone ON tasks(milestone_id);
CREATE INDEX tasks_by_cycle ON tasks(cycle_id);
CREATE INDEX tasks_by_team_id ON tasks(team_id, id);

CREATE TABLE task_labels (
    task_id INTEGER NOT NULL REFERENCES tasks(id),
    label_id INTEGER NOT NULL REFERENCES labels(id),
    PRIMARY KEY (task_id, label_id)
);
CREATE INDEX task_labels_by_label ON task_labels(label_id);

CREATE TABLE task_events (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks(id),
    actor_id INTEGER NOT NULL REFERENCES users(id),
    at INTEGER NOT NULL,
    field TEXT NOT NULL,
    old TEXT,
    new TEXT
);
CREATE INDEX task_events_by_task ON task_events(task_id, id);

CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks(id),
    author_id INTEGER NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    edited_at INTEGER
);
CREATE INDEX comments_by_task ON comments(task_id, id);

CREATE TABLE docs (
    id INTEGER PRIMARY KEY,
    team_id INTEGER REFERENCES teams(id),
    project_id INTEGER REFERENCES projects(id),
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    creator_id INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER,
    CHECK ((team_id IS NULL) <> (project_id IS NULL))
);
CREATE INDEX docs_by_team ON docs(team_id);
CREATE INDEX docs_by_project ON docs(project_id);

-- One token per user; only its digest is kept.
CREATE TABLE personal_tokens (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    digest TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_used_at INTEGER
);

CREATE TABLE tool_calls (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    tool TEXT NOT NULL,
    target TEXT,
    ok INTEGER NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX tool_calls_by_user ON tool_calls(user_id, id);

CREATE TABLE sessions (
    digest TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

-- Full-text search. rowid is the task's (doc's) id; kept in step by the store.
CREATE VIRTUAL TABLE task_fts USING fts5(identifier, title, description, comments, tokenize = 'porter unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE doc_fts USING fts5(title, content, tokenize = 'porter unicode61 remove_diacritics 2');
