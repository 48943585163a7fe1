//! Labels, projects, milestones and cycles.

use async_trait::async_trait;
use time::{Date, OffsetDateTime};

use crate::changes::NewChange;
use crate::error::Result;
use crate::model::*;

#[derive(Debug, Clone)]
pub struct NewProject {
    pub name: String,
    pub description: String,
    pub status: ProjectStatus,
    pub lead_id: Option<UserId>,
    pub start_date: Option<Date>,
    pub target_date: Option<Date>,
    pub team_ids: Vec<TeamId>,
    pub now: OffsetDateTime,
}

#[derive(Debug, Clone, Default)]
pub struct ProjectChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: Option<ProjectStatus>,
    pub lead_id: Option<Option<UserId>>,
    pub start_date: Option<Option<Date>>,
    pub target_date: Option<Option<Date>>,
    pub team_ids: Option<Vec<TeamId>>,
}

impl ProjectChanges {
    /// The names of the fields it sets, as the change feed records them.
    pub fn fields(&self) -> Vec<&'static str> {
        let set = [
            ("name", self.name.is_some()),
            ("description", self.description.is_some()),
            ("status", self.status.is_some()),
            ("lead", self.lead_id.is_some()),
            ("start_date", self.start_date.is_some()),
            ("target_date", self.target_date.is_some()),
            ("teams", self.team_ids.is_some()),
        ];
        set.into_iter()
            .filter(|(_, on)| *on)
            .map(|(f, _)| f)
            .collect()
    }
}

#[derive(Debug, Clone, Default)]
pub struct MilestoneChanges {
    pub name: Option<String>,
    pub target_date: Option<Option<Date>>,
    pub position: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct CycleChanges {
    pub name: Option<Option<String>>,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
}

#[async_trait]
pub trait Planning: Send + Sync {
    /// Workspace-wide labels and those of the given teams.
    async fn labels(&self, teams: &[TeamId]) -> Result<Vec<Label>>;
    async fn label(&self, id: LabelId) -> Result<Option<Label>>;
    async fn create_label(&self, team: Option<TeamId>, name: &str, color: &str) -> Result<Label>;
    /// How many tasks (live or in the Trash) carry the label.
    async fn label_task_count(&self, id: LabelId) -> Result<u64>;
    /// Takes the label off every task and deletes it, in one transaction.
    async fn delete_label(&self, id: LabelId) -> Result<()>;
    async fn update_label(
        &self,
        id: LabelId,
        name: Option<&str>,
        color: Option<&str>,
    ) -> Result<()>;
    /// The change's `object_id` is replaced by the new project's id.
    async fn create_project(&self, project: NewProject, change: &NewChange) -> Result<ProjectId>;
    async fn project(&self, id: ProjectId) -> Result<Option<Project>>;
    /// Projects that involve any of the given teams.
    async fn projects(&self, teams: &[TeamId]) -> Result<Vec<Project>>;
    /// The progress of a project counted over its live tasks in `teams` only, for a reader
    /// who cannot see every team of the project (the stored counters count them all): one
    /// entry per milestone that has such tasks, and `None` for those in no milestone.
    async fn project_progress_in_teams(
        &self,
        project: ProjectId,
        teams: &[TeamId],
    ) -> Result<Vec<(Option<MilestoneId>, Progress)>>;
    async fn update_project(
        &self,
        id: ProjectId,
        changes: &ProjectChanges,
        change: &NewChange,
    ) -> Result<()>;
    async fn create_milestone(
        &self,
        project: ProjectId,
        name: &str,
        target: Option<Date>,
        change: &NewChange,
    ) -> Result<MilestoneId>;
    async fn milestone(&self, id: MilestoneId) -> Result<Option<Milestone>>;
    async fn milestones(&self, project: ProjectId) -> Result<Vec<Milestone>>;
    async fn update_milestone(
        &self,
        id: MilestoneId,
        changes: &MilestoneChanges,
        change: &NewChange,
    ) -> Result<()>;
    /// Numbers the cycle after the team's last one.
    async fn create_cycle(
        &self,
        team: TeamId,
        name: Option<&str>,
        starts_on: Date,
        ends_on: Date,
        change: &NewChange,
    ) -> Result<CycleId>;
    async fn cycle(&self, id: CycleId) -> Result<Option<Cycle>>;
    async fn cycles(&self, teams: &[TeamId]) -> Result<Vec<Cycle>>;
    async fn update_cycle(
        &self,
        id: CycleId,
        changes: &CycleChanges,
        change: &NewChange,
    ) -> Result<()>;
}
