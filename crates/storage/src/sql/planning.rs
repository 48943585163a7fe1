//! Labels, projects, milestones and cycles: the same SQL on both backends. Lists order by
//! a unique key last, so that equal names come back in one order everywhere.

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::changes::NewChange;
use orgn_domain::model::*;
use orgn_domain::store::{CycleChanges, MilestoneChanges, NewProject, Planning, ProjectChanges};
use time::Date;

use super::feed::append_change;
use super::{Backend, Conn, Sql, SqlStore, update, update_versioned};
use crate::rows::{self, RowExt};

/// Progress columns (`p_total`, `p_completed`, `p_canceled`) from the counters of `alias`.
fn progress_columns(alias: &str) -> String {
    format!(
        "{alias}.n_total AS p_total, {alias}.n_completed AS p_completed, {alias}.n_canceled AS p_canceled"
    )
}

fn project_select() -> String {
    format!(
        "SELECT pr.id, pr.name, pr.description, pr.status, pr.lead_id, u.name AS lead_name, u.email AS lead_email, \
         pr.start_date, pr.target_date, pr.version, {} FROM projects pr LEFT JOIN users u ON u.id = pr.lead_id",
        progress_columns("pr")
    )
}

fn milestone_select() -> String {
    format!(
        "SELECT ms.id, ms.project_id, ms.name, ms.target_date, ms.position, {} FROM milestones ms",
        progress_columns("ms")
    )
}

fn cycle_select() -> String {
    format!(
        "SELECT cy.id, cy.team_id, cy.number, cy.name, cy.starts_on, cy.ends_on, {} FROM cycles cy",
        progress_columns("cy")
    )
}

/// The projects of `rows`, each with its teams (one more query for all of them).
async fn with_teams<C: Conn>(conn: &mut C, rows: Vec<C::Row>) -> Result<Vec<Project>> {
    let mut projects: Vec<Project> = rows.iter().map(rows::project).collect::<Result<_>>()?;
    if projects.is_empty() {
        return Ok(projects);
    }
    let ids: Vec<ProjectId> = projects.iter().map(|p| p.id).collect();
    let mut sql = Sql::new(
        "SELECT pt.project_id, tm.id, tm.key, tm.name FROM project_teams pt \
         JOIN teams tm ON tm.id = pt.team_id WHERE pt.project_id IN ",
    );
    sql.list(&ids).push(" ORDER BY tm.key");
    for row in conn.rows(sql).await? {
        let project = row.id("project_id")?;
        if let Some(p) = projects.iter_mut().find(|p| p.id == project) {
            p.teams.push(rows::team(&row)?);
        }
    }
    Ok(projects)
}

async fn insert_project_teams<C: Conn + ?Sized>(
    conn: &mut C,
    project: ProjectId,
    teams: &[TeamId],
) -> Result<()> {
    for team in teams {
        let sql = Sql::new("INSERT INTO project_teams (project_id, team_id) VALUES ($1, $2)")
            .arg(project)
            .arg(*team);
        conn.execute(sql).await?;
    }
    Ok(())
}

#[async_trait]
impl<B: Backend> Planning for SqlStore<B> {
    async fn labels(&self, teams: &[TeamId]) -> Result<Vec<Label>> {
        let mut sql = Sql::new(
            "SELECT id, team_id, name, color FROM labels WHERE team_id IS NULL OR team_id IN ",
        );
        sql.list(teams).push(" ORDER BY lower(name), id");
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter().map(rows::label).collect()
    }

    async fn label(&self, id: LabelId) -> Result<Option<Label>> {
        let sql = Sql::new("SELECT id, team_id, name, color FROM labels WHERE id = $1").arg(id);
        let row = self.reader().await?.optional(sql).await?;
        row.as_ref().map(rows::label).transpose()
    }

    async fn create_label(&self, team: Option<TeamId>, name: &str, color: &str) -> Result<Label> {
        let sql =
            Sql::new("INSERT INTO labels (team_id, name, color) VALUES ($1, $2, $3) RETURNING id")
                .arg(team)
                .arg(name)
                .arg(color);
        let id = self.writer().await?.one(sql).await?.id("id")?;
        Ok(Label {
            id,
            team_id: team,
            name: name.to_string(),
            color: color.to_string(),
        })
    }

    async fn label_task_count(&self, id: LabelId) -> Result<u64> {
        let sql = Sql::new("SELECT count(*) AS n FROM task_labels WHERE label_id = $1").arg(id);
        Ok(self.reader().await?.int(sql, "n").await?.unwrap_or(0) as u64)
    }

    async fn delete_label(&self, id: LabelId) -> Result<()> {
        let mut tx = self.begin().await?;
        for sql in [
            "DELETE FROM task_labels WHERE label_id = $1",
            "DELETE FROM labels WHERE id = $1",
        ] {
            tx.execute(Sql::new(sql).arg(id)).await?;
        }
        B::commit(tx).await
    }

    async fn update_label(
        &self,
        id: LabelId,
        name: Option<&str>,
        color: Option<&str>,
    ) -> Result<()> {
        let sql = Sql::new(
            "UPDATE labels SET name = coalesce($1, name), color = coalesce($2, color) WHERE id = $3",
        )
        .arg(name)
        .arg(color)
        .arg(id);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }

    async fn create_project(&self, p: NewProject, change: &NewChange) -> Result<ProjectId> {
        let mut tx = self.begin().await?;
        let insert = Sql::new(
            "INSERT INTO projects (name, description, status, lead_id, start_date, target_date, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .arg(&p.name)
        .arg(&p.description)
        .arg(p.status.as_str())
        .arg(p.lead_id)
        .arg(p.start_date)
        .arg(p.target_date)
        .arg(p.now);
        let id: ProjectId = tx.one(insert).await?.id("id")?;
        insert_project_teams(&mut *tx, id, &p.team_ids).await?;
        let change = NewChange {
            object_id: id.get(),
            ..change.clone()
        };
        append_change::<B>(&mut tx, &change).await?;
        self.commit_changes(tx).await?;
        Ok(id)
    }

    async fn project(&self, id: ProjectId) -> Result<Option<Project>> {
        let sql = Sql::new(format!("{} WHERE pr.id = $1", project_select())).arg(id);
        let mut conn = self.reader().await?;
        let rows = conn.rows(sql).await?;
        Ok(with_teams(&mut *conn, rows).await?.pop())
    }

    async fn projects(&self, teams: &[TeamId]) -> Result<Vec<Project>> {
        if teams.is_empty() {
            return Ok(vec![]);
        }
        let mut sql = Sql::new(format!(
            "{} WHERE pr.id IN (SELECT project_id FROM project_teams WHERE team_id IN ",
            project_select()
        ));
        sql.list(teams).push(") ORDER BY lower(pr.name), pr.id");
        let mut conn = self.reader().await?;
        let rows = conn.rows(sql).await?;
        with_teams(&mut *conn, rows).await
    }

    async fn project_progress_in_teams(
        &self,
        project: ProjectId,
        teams: &[TeamId],
    ) -> Result<Vec<(Option<MilestoneId>, Progress)>> {
        if teams.is_empty() {
            return Ok(vec![]);
        }
        let mut sql = Sql::new(
            "SELECT t.milestone_id, count(*) AS p_total, \
             sum(CASE WHEN s.kind = 'completed' THEN 1 ELSE 0 END) AS p_completed, \
             sum(CASE WHEN s.kind = 'canceled' THEN 1 ELSE 0 END) AS p_canceled \
             FROM tasks t JOIN statuses s ON s.id = t.status_id \
             WHERE t.project_id = $1 AND t.deleted_at IS NULL AND t.team_id IN ",
        )
        .arg(project);
        sql.list(teams).push(" GROUP BY t.milestone_id");
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter()
            .map(|row| Ok((row.opt_id("milestone_id")?, rows::progress(row)?)))
            .collect()
    }

    async fn update_project(
        &self,
        id: ProjectId,
        c: &ProjectChanges,
        change: &NewChange,
    ) -> Result<()> {
        let mut sets: Vec<(&str, super::Arg)> = Vec::new();
        if let Some(v) = &c.name {
            sets.push(("name", v.into()));
        }
        if let Some(v) = &c.description {
            sets.push(("description", v.into()));
        }
        if let Some(v) = c.status {
            sets.push(("status", v.as_str().into()));
        }
        if let Some(v) = c.lead_id {
            sets.push(("lead_id", v.into()));
        }
        if let Some(v) = c.start_date {
            sets.push(("start_date", v.into()));
        }
        if let Some(v) = c.target_date {
            sets.push(("target_date", v.into()));
        }
        let mut tx = self.begin().await?;
        let now = change.stamp.at;
        tx.execute(update_versioned(
            "projects",
            ("updated_at", now.into()),
            sets,
            id,
        ))
        .await?;
        if let Some(teams) = &c.team_ids {
            let clear = Sql::new("DELETE FROM project_teams WHERE project_id = $1").arg(id);
            tx.execute(clear).await?;
            insert_project_teams(&mut *tx, id, teams).await?;
        }
        append_change::<B>(&mut tx, change).await?;
        self.commit_changes(tx).await
    }

    async fn create_milestone(
        &self,
        project: ProjectId,
        name: &str,
        target: Option<Date>,
        change: &NewChange,
    ) -> Result<MilestoneId> {
        let mut tx = self.begin().await?;
        let sql = Sql::new(
            "INSERT INTO milestones (project_id, name, target_date, position) \
             VALUES ($1, $2, $3, (SELECT coalesce(max(position), 0) + 1 FROM milestones WHERE project_id = $1)) \
             RETURNING id",
        )
        .arg(project)
        .arg(name)
        .arg(target);
        let id: MilestoneId = tx.one(sql).await?.id("id")?;
        let change = NewChange {
            object_id: id.get(),
            ..change.clone()
        };
        append_change::<B>(&mut tx, &change).await?;
        self.commit_changes(tx).await?;
        Ok(id)
    }

    async fn milestone(&self, id: MilestoneId) -> Result<Option<Milestone>> {
        let sql = Sql::new(format!("{} WHERE ms.id = $1", milestone_select())).arg(id);
        let row = self.reader().await?.optional(sql).await?;
        row.as_ref().map(rows::milestone).transpose()
    }

    async fn milestones(&self, project: ProjectId) -> Result<Vec<Milestone>> {
        let sql = Sql::new(format!(
            "{} WHERE ms.project_id = $1 ORDER BY ms.position, ms.id",
            milestone_select()
        ))
        .arg(project);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter().map(rows::milestone).collect()
    }

    async fn update_milestone(
        &self,
        id: MilestoneId,
        c: &MilestoneChanges,
        change: &NewChange,
    ) -> Result<()> {
        let mut sets: Vec<(&str, super::Arg)> = Vec::new();
        if let Some(v) = &c.name {
            sets.push(("name", v.into()));
        }
        if let Some(v) = c.target_date {
            sets.push(("target_date", v.into()));
        }
        let position = match c.position {
            Some(v) => ("position", v.into()),
            None => ("id", id.into()),
        };
        let mut tx = self.begin().await?;
        tx.execute(update("milestones", position, sets, id)).await?;
        append_change::<B>(&mut tx, change).await?;
        self.commit_changes(tx).await
    }

    async fn create_cycle(
        &self,
        team: TeamId,
        name: Option<&str>,
        starts_on: Date,
        ends_on: Date,
        change: &NewChange,
    ) -> Result<CycleId> {
        // The team's row-locked counter numbers cycles, even with several processes.
        let mut tx = self.begin().await?;
        let counter = Sql::new(
            "UPDATE teams SET cycle_counter = cycle_counter + 1 WHERE id = $1 RETURNING cycle_counter",
        )
        .arg(team);
        let number = tx.one(counter).await?.int("cycle_counter")?;
        let insert = Sql::new(
            "INSERT INTO cycles (team_id, number, name, starts_on, ends_on) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .arg(team)
        .arg(number)
        .arg(name)
        .arg(starts_on)
        .arg(ends_on);
        let id: CycleId = tx.one(insert).await?.id("id")?;
        let change = NewChange {
            object_id: id.get(),
            ..change.clone()
        };
        append_change::<B>(&mut tx, &change).await?;
        self.commit_changes(tx).await?;
        Ok(id)
    }

    async fn cycle(&self, id: CycleId) -> Result<Option<Cycle>> {
        let sql = Sql::new(format!("{} WHERE cy.id = $1", cycle_select())).arg(id);
        let row = self.reader().await?.optional(sql).await?;
        row.as_ref().map(rows::cycle).transpose()
    }

    async fn cycles(&self, teams: &[TeamId]) -> Result<Vec<Cycle>> {
        let mut sql = Sql::new(format!("{} WHERE cy.team_id IN ", cycle_select()));
        sql.list(teams).push(" ORDER BY cy.starts_on, cy.id");
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter().map(rows::cycle).collect()
    }

    async fn update_cycle(&self, id: CycleId, c: &CycleChanges, change: &NewChange) -> Result<()> {
        let mut sets: Vec<(&str, super::Arg)> = Vec::new();
        if let Some(v) = c.starts_on {
            sets.push(("starts_on", v.into()));
        }
        if let Some(v) = c.ends_on {
            sets.push(("ends_on", v.into()));
        }
        let name = match &c.name {
            Some(v) => ("name", v.into()),
            None => ("id", id.into()),
        };
        let mut tx = self.begin().await?;
        tx.execute(update("cycles", name, sets, id)).await?;
        append_change::<B>(&mut tx, change).await?;
        self.commit_changes(tx).await
    }
}
