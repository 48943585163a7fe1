-- The SQLite twin of this migration sizes FTS5's in-memory index; PostgreSQL's GIN indexes
-- have no such setting. Kept so that both backends share one list of schema versions.
SELECT 1;
