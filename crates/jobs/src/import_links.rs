//! The parents and relations of imported rows, set once every row is in: a row may name a
//! parent or a blocker further down the file. A reference is the `ID` of another row of
//! the file (Linear's identifier) or, failing that, an Orgn identifier of a task the person
//! can see. A link that cannot be made is reported with its row; the row stays imported.

use std::collections::HashMap;

use orgn_domain::model::{RelationKind, TaskId};
use orgn_domain::{Actor, Error, RelationInput, TaskPatch, Workspace};

use crate::import::Parsed;

/// The relation columns, by the Orgn field that reads them.
const RELATIONS: [(&str, RelationKind); 4] = [
    ("blocked_by", RelationKind::BlockedBy),
    ("blocks", RelationKind::Blocks),
    ("related_to", RelationKind::RelatesTo),
    ("duplicate_of", RelationKind::DuplicateOf),
];

/// What one good row says about its place in the graph.
pub(crate) struct RowLinks {
    row: i64,
    /// The row's `ID` in the file, by which other rows name it.
    source: Option<String>,
    parent: Option<String>,
    relations: Vec<(RelationKind, String)>,
}

impl RowLinks {
    pub(crate) fn read(parsed: &Parsed, record: &csv::StringRecord, row: i64) -> RowLinks {
        let mut relations = Vec::new();
        for (field, kind) in RELATIONS {
            for other in parsed.get(record, field).iter().flat_map(|v| v.split(',')) {
                let other = other.trim();
                if !other.is_empty() {
                    relations.push((kind, other.to_string()));
                }
            }
        }
        RowLinks {
            row,
            source: parsed.get(record, "id"),
            parent: parsed.get(record, "parent"),
            relations,
        }
    }

    fn has_links(&self) -> bool {
        self.parent.is_some() || !self.relations.is_empty()
    }
}

/// The imported rows' links and the identifiers their tasks got.
pub(crate) struct Links {
    /// File `ID` → the Orgn identifier of the task it became.
    imported: HashMap<String, String>,
    /// Rows with links, with their task's identifier.
    pending: Vec<(RowLinks, String)>,
    /// The job resumed after a restart: rows of earlier chunks are not known here.
    resumed: bool,
}

impl Links {
    pub(crate) fn new(resumed: bool) -> Links {
        Links {
            imported: HashMap::new(),
            pending: Vec::new(),
            resumed,
        }
    }

    /// A chunk's rows went in as `ids`, in their order.
    pub(crate) async fn inserted(
        &mut self,
        ws: &Workspace,
        actor: &Actor,
        rows: Vec<RowLinks>,
        ids: &[TaskId],
    ) -> Result<(), Error> {
        if !rows.iter().any(|r| r.has_links() || r.source.is_some()) {
            return Ok(());
        }
        let identifiers: HashMap<TaskId, String> =
            ws.task_identifiers(actor, ids).await?.into_iter().collect();
        for (row, id) in rows.into_iter().zip(ids) {
            let Some(identifier) = identifiers.get(id) else {
                continue;
            };
            if let Some(source) = &row.source {
                self.imported
                    .insert(source.to_ascii_uppercase(), identifier.clone());
            }
            if row.has_links() {
                self.pending.push((row, identifier.clone()));
            }
        }
        Ok(())
    }

    /// A reference as an Orgn identifier: the task a row of the file became, or itself.
    fn resolve(&self, reference: &str) -> String {
        self.imported
            .get(&reference.to_ascii_uppercase())
            .cloned()
            .unwrap_or_else(|| reference.to_string())
    }

    /// Sets every pending row's parent and relations; the rows whose links failed, with why.
    pub(crate) async fn apply(&self, ws: &Workspace, actor: &Actor) -> Vec<(i64, String)> {
        let mut errors = Vec::new();
        for (row, identifier) in &self.pending {
            let patch = TaskPatch {
                parent: row.parent.as_deref().map(|p| self.resolve(p)),
                add_relations: row
                    .relations
                    .iter()
                    .map(|(kind, other)| RelationInput {
                        kind: kind.as_str().into(),
                        task: self.resolve(other),
                    })
                    .collect(),
                ..Default::default()
            };
            let linked = match identifier.parse() {
                Ok(id) => ws.update_task(actor, &id, patch).await.map(|_| ()),
                Err(e) => Err(e),
            };
            if let Err(e) = linked {
                let resumed = if self.resumed {
                    " (the import was resumed after a restart: rows before it cannot be named)"
                } else {
                    ""
                };
                errors.push((
                    row.row,
                    format!("imported as {identifier}, but not linked: {e}{resumed}"),
                ));
            }
        }
        errors
    }
}
