-- What each bulk status change replaced, for its Undo: in the database rather than in one
-- server's memory, so that any process can undo it and a restart keeps it. Changes older
-- than the undo window are deleted as new ones are kept.
CREATE TABLE bulk_changes (
    -- AUTOINCREMENT: an id is never given again once its change is deleted, so that a
    -- stale Undo link cannot undo a newer change.
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    status TEXT NOT NULL,
    -- [[identifier, status name before the change], ...]
    previous TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX bulk_changes_by_age ON bulk_changes(created_at);
