-- When each web session was last used (milliseconds, recorded at most once a minute): a
-- session unused for a week ends before its absolute lifetime. NULL: not recorded yet (a
-- session from before this version, or copied by `orgn copy`), counted from its start.
ALTER TABLE sessions ADD COLUMN last_used_at BIGINT;

-- Failed sign-ins, one row per key (`email:…` or `client:…`) with a count and the start
-- of its window, shared by every process; rows whose window ended are swept.
CREATE TABLE sign_in_throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    window_start BIGINT NOT NULL
);
