-- Live tasks per (team, status), kept by the store in the same transaction as every task
-- insert, delete, restore and status change, so that an unfiltered list or board counts its
-- groups by reading a few rows instead of every task of the team.
CREATE TABLE team_status_counts (
    team_id INTEGER NOT NULL REFERENCES teams(id),
    status_id INTEGER NOT NULL REFERENCES statuses(id),
    n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, status_id)
);

INSERT INTO team_status_counts (team_id, status_id, n)
SELECT team_id, status_id, count(*) FROM tasks WHERE deleted_at IS NULL GROUP BY team_id, status_id;
