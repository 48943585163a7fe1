-- Versions and the change feed (issue 13).
--
-- Tasks, comments, docs and projects carry a version, raised by every change, so that an
-- edit can say which version it was based on. `changes` is the feed: one row per change
-- from any channel, appended in the change's own transaction. Live pages read it by `seq`,
-- the MCP tool `list_changes` too, and an edit based on an old version reads the fields
-- changed since (`changes_by_object`). Rows older than the retention are swept.
ALTER TABLE tasks ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE comments ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE docs ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE projects ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- Through which channel a task's history entry was made ('web', 'mcp', 'assistant',
-- 'job', 'cli'), and which MCP client (its clientInfo name), if any.
ALTER TABLE task_events ADD COLUMN channel TEXT;
ALTER TABLE task_events ADD COLUMN client TEXT;

-- The MCP client that last initialized with a token (clientInfo name), shown as "via …".
ALTER TABLE personal_tokens ADD COLUMN client_name TEXT;

CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    -- 'task', 'comment', 'doc', 'project', 'milestone', 'cycle', 'label', 'membership'
    kind TEXT NOT NULL,
    object_id INTEGER NOT NULL,
    -- The object's version after the change (versioned kinds only).
    version INTEGER,
    -- The teams whose members may see it, comma-separated; empty: workspace-wide.
    teams TEXT NOT NULL,
    -- What the change is about, as people name it: "ENG-12", a project's name, ...
    subject TEXT NOT NULL,
    -- The changed fields, comma-separated ("created", "deleted", "status", ...).
    fields TEXT NOT NULL,
    -- The live-page topics it concerns, space-separated ("team-3 task-12 project-4").
    topics TEXT NOT NULL,
    actor_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    client TEXT
);
CREATE INDEX changes_by_object ON changes(kind, object_id, seq);
CREATE INDEX changes_by_time ON changes(at);
