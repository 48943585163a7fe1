-- Previous versions of people-written long text (a doc's content, a task's description),
-- written in the transaction of the overwrite that replaced them, so that no overwrite is
-- unrecoverable; the last 20 of each object are kept (older ones are deleted by the same
-- transaction). `object_kind` is 'doc' or 'task'; `title` is the object's title then.
CREATE TABLE revisions (
    id BIGSERIAL PRIMARY KEY,
    object_kind TEXT NOT NULL,
    object_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    replaced_by BIGINT NOT NULL REFERENCES users(id),
    replaced_at BIGINT NOT NULL,
    replaced_channel TEXT NOT NULL
);
CREATE INDEX revisions_by_object ON revisions (object_kind, object_id, id);

-- Ask Orgn per person, shared by every process: `busy_until` (unix millis) holds the person
-- while one answer is written (NULL: free; a process that dies leaves a hold that runs out),
-- and `tokens` counts the tokens used on `day` (days since 1970-01-01, UTC) for the daily
-- budget (`orgn serve --assistant-daily-tokens`); a new day starts the count again.
CREATE TABLE assistant_usage (
    user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    busy_until BIGINT,
    day BIGINT NOT NULL DEFAULT 0,
    tokens BIGINT NOT NULL DEFAULT 0
);
