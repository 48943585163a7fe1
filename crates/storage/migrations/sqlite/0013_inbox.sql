-- Handles, subscriptions and notifications (the inbox).
--
-- Every user gets a handle for @mentions: the e-mail's local part, lowercased, with any
-- character outside [a-z0-9._-] made a '-'; a later user whose local part is taken gets
-- their id added ("dee" and "dee7"). New users get theirs from the domain the same way.
ALTER TABLE users ADD COLUMN handle TEXT NOT NULL DEFAULT '';
UPDATE users SET handle = lower(replace(replace(substr(email, 1, instr(email || '@', '@') - 1), '+', '-'), ' ', '-'));
UPDATE users SET handle = 'user' WHERE handle = '';
UPDATE users SET handle = handle || id
    WHERE EXISTS (SELECT 1 FROM users older WHERE older.handle = users.handle AND older.id < users.id);
CREATE UNIQUE INDEX users_by_handle ON users(handle);

-- Who follows a task. Creators, assignees, commenters and mentioned people are added with
-- `subscribed` = 1 unless a row exists (an explicit unsubscribe, 0, sticks).
CREATE TABLE subscriptions (
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    subscribed INTEGER NOT NULL,
    PRIMARY KEY (task_id, user_id)
);

-- One row per person told of a change, written in the change's transaction. Who and
-- through what come from the change (actor, channel, client); `detail` is the status a
-- followed task moved to.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    detail TEXT,
    actor_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    client TEXT,
    at INTEGER NOT NULL,
    read_at INTEGER
);
-- The inbox reads a person's newest first, a page at a time; the unread count reads the
-- unread ones only.
CREATE INDEX notifications_by_user ON notifications(user_id, id);
CREATE INDEX notifications_unread ON notifications(user_id, id) WHERE read_at IS NULL;
CREATE INDEX notifications_by_task ON notifications(task_id);

-- The people a change notified (comma-separated ids), so that the live reader tells each of
-- them, and only them, that their inbox changed.
ALTER TABLE changes ADD COLUMN notified TEXT NOT NULL DEFAULT '';
