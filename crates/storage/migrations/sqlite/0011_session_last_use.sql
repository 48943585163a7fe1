-- When each web session was last used (milliseconds, recorded at most once a minute): a
-- session unused for a week ends before its absolute lifetime. NULL: not recorded yet (a
-- session from before this version, or copied by `orgn copy`), counted from its start.
ALTER TABLE sessions ADD COLUMN last_used_at INTEGER;
