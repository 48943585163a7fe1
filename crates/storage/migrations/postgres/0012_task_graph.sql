-- Sub-tasks: a task's parent, in the same team (the domain checks the team and refuses
-- cycles). Purging a parent for good leaves its children at the top level. Checked at
-- commit: `orgn copy` writes tasks in id order, and a parent may be newer than its child.
ALTER TABLE tasks ADD COLUMN parent_id BIGINT REFERENCES tasks(id) ON DELETE SET NULL
    DEFERRABLE INITIALLY DEFERRED;
-- A parent's children newest first, bounded by the page; most tasks have no parent.
CREATE INDEX tasks_by_parent ON tasks (parent_id, id) WHERE parent_id IS NOT NULL;

-- Relations between two tasks, possibly of different teams, stored one way:
-- `from blocks to`, `from duplicate_of to`, `from relates_to to` (relates_to with
-- from < to, so that a pair is kept once). Each side reads it through its own index.
CREATE TABLE task_relations (
    from_task_id BIGINT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    to_task_id BIGINT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('blocks', 'relates_to', 'duplicate_of')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (from_task_id, kind, to_task_id),
    CHECK (from_task_id <> to_task_id)
);
CREATE INDEX task_relations_by_to ON task_relations (to_task_id, kind, from_task_id);
