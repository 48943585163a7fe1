ALTER TABLE tasks ADD COLUMN deleted_by INTEGER REFERENCES users(id);
ALTER TABLE docs ADD COLUMN deleted_by INTEGER REFERENCES users(id);
CREATE INDEX tasks_deleted ON tasks(deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX docs_deleted ON docs(deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL CHECK (kind IN ('export', 'import', 'reindex')),
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'canceled')),
    input TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    result TEXT,
    error TEXT,
    owner TEXT,
    heartbeat_at INTEGER,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER
);
CREATE INDEX jobs_by_state ON jobs(state, id);
CREATE INDEX jobs_by_user ON jobs(user_id, id);

CREATE TABLE job_errors (
    job_id INTEGER NOT NULL REFERENCES jobs(id),
    row_number INTEGER NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (job_id, row_number)
);

CREATE TABLE job_files (
    job_id INTEGER NOT NULL REFERENCES jobs(id),
    name TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (job_id, name)
);

CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX conversations_by_user ON conversations(user_id, updated_at);

CREATE TABLE conversation_messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
    content TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX conversation_messages_by_conversation ON conversation_messages(conversation_id, id);
