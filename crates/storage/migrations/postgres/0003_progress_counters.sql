-- migrations/sqlite/0003_progress_counters.sql in PostgreSQL's dialect: progress of projects,
-- milestones and cycles, kept as counters by the store in the same transaction as every
-- task change, so that pages never count a million rows.
ALTER TABLE projects ADD COLUMN n_total BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN n_completed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN n_canceled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE milestones ADD COLUMN n_total BIGINT NOT NULL DEFAULT 0;
ALTER TABLE milestones ADD COLUMN n_completed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE milestones ADD COLUMN n_canceled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cycles ADD COLUMN n_total BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cycles ADD COLUMN n_completed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cycles ADD COLUMN n_canceled BIGINT NOT NULL DEFAULT 0;

UPDATE projects SET
    n_total = (SELECT count(*) FROM tasks t WHERE t.project_id = projects.id AND t.deleted_at IS NULL),
    n_completed = (SELECT count(*) FROM tasks t JOIN statuses s ON s.id = t.status_id WHERE t.project_id = projects.id AND t.deleted_at IS NULL AND s.kind = 'completed'),
    n_canceled = (SELECT count(*) FROM tasks t JOIN statuses s ON s.id = t.status_id WHERE t.project_id = projects.id AND t.deleted_at IS NULL AND s.kind = 'canceled');
UPDATE milestones SET
    n_total = (SELECT count(*) FROM tasks t WHERE t.milestone_id = milestones.id AND t.deleted_at IS NULL),
    n_completed = (SELECT count(*) FROM tasks t JOIN statuses s ON s.id = t.status_id WHERE t.milestone_id = milestones.id AND t.deleted_at IS NULL AND s.kind = 'completed'),
    n_canceled = (SELECT count(*) FROM tasks t JOIN statuses s ON s.id = t.status_id WHERE t.milestone_id = milestones.id AND t.deleted_at IS NULL AND s.kind = 'canceled');
UPDATE cycles SET
    n_total = (SELECT count(*) FROM tasks t WHERE t.cycle_id = cycles.id AND t.deleted_at IS NULL),
    n_completed = (SELECT count(*) FROM tasks t JOIN statuses s ON s.id = t.status_id WHERE t.cycle_id = cycles.id AND t.deleted_at IS NULL AND s.kind = 'completed'),
    n_canceled = (SELECT count(*) FROM tasks t JOIN statuses s ON s.id = t.status_id WHERE t.cycle_id = cycles.id AND t.deleted_at IS NULL AND s.kind = 'canceled');
