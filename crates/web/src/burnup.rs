//! The burn-up chart of a cycle: for each day, how many tasks were in scope and how many
//! were done by the end of that day, from the tasks' own timestamps. Drawn by the server
//! as inline SVG, so it needs no script.

use std::fmt::Write;

use time::{Date, OffsetDateTime};

/// What the chart needs of a task.
#[derive(Debug, Clone, Copy)]
pub struct TaskTimes {
    pub created_at: OffsetDateTime,
    pub completed_at: Option<OffsetDateTime>,
    pub canceled_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub date: Date,
    /// Tasks created by the end of the day and not canceled by then.
    pub scope: i64,
    /// Tasks completed by the end of the day.
    pub completed: i64,
}

/// The most points a chart draws. A cycle lasts at most eight weeks, so each of its days is
/// a point; a longer span (a cycle made before that bound) is drawn every few days, so that
/// its page stays small whatever its dates.
const MAX_POINTS: i64 = 120;

/// One point per day (or per few days, see `MAX_POINTS`) from `start` to the earlier of
/// `end` and `today`, the last day always among them; nothing for a cycle that has not
/// started. A task created before the cycle counts from its first day.
pub fn compute(start: Date, end: Date, today: Date, tasks: &[TaskTimes]) -> Vec<Day> {
    let last = end.min(today);
    if last < start {
        return Vec::new();
    }
    let span = (last - start).whole_days() + 1;
    let step = time::Duration::days((span + MAX_POINTS - 1) / MAX_POINTS);
    let mut days = Vec::new();
    let mut date = start;
    loop {
        days.push(day(date, tasks));
        if date == last {
            return days;
        }
        date = match date.checked_add(step) {
            Some(next) if next < last => next,
            _ => last,
        };
    }
}

fn day(date: Date, tasks: &[TaskTimes]) -> Day {
    let by = |t: Option<OffsetDateTime>| t.is_some_and(|t| t.date() <= date);
    let scope = tasks
        .iter()
        .filter(|t| t.created_at.date() <= date && !by(t.canceled_at))
        .count() as i64;
    let completed = tasks.iter().filter(|t| by(t.completed_at)).count() as i64;
    Day {
        date,
        scope,
        completed,
    }
}

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 36.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 28.0;

/// The chart over the whole cycle (`start..=end`), with lines as far as `days` go.
pub fn svg(start: Date, end: Date, days: &[Day]) -> String {
    let span = ((end - start).whole_days().max(1)) as f64;
    let max = days
        .iter()
        .map(|d| d.scope.max(d.completed))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let x = |date: Date| LEFT + (date - start).whole_days() as f64 / span * (W - LEFT - RIGHT);
    let y = |v: i64| TOP + (1.0 - v as f64 / max) * (H - TOP - BOTTOM);
    let points = |f: &dyn Fn(&Day) -> i64| {
        days.iter()
            .map(|d| format!("{:.1},{:.1}", x(d.date), y(f(d))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut s = String::new();
    let scope_now = days.last().map(|d| d.scope).unwrap_or(0);
    let done_now = days.last().map(|d| d.completed).unwrap_or(0);
    let _ = write!(
        s,
        r##"<svg class="burnup" viewBox="0 0 {W} {H}" role="img" aria-label="Burn-up chart: {done_now} of {scope_now} tasks completed" data-days="{}" xmlns="http://www.w3.org/2000/svg">"##,
        days.len()
    );
    // Grid: baseline, top line, and the y scale.
    let max_i = max as i64;
    for v in [0, (max_i + 1) / 2, max_i] {
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#e6e6ea" stroke-width="1"/><text x="{:.1}" y="{:.1}" font-size="11" fill="#8a8f98" text-anchor="end">{v}</text>"##,
            W - RIGHT,
            y(v),
            y(v),
            LEFT - 6.0,
            y(v) + 4.0
        );
    }
    let _ = write!(
        s,
        r##"<text x="{LEFT}" y="{:.1}" font-size="11" fill="#8a8f98">{start}</text><text x="{:.1}" y="{:.1}" font-size="11" fill="#8a8f98" text-anchor="end">{end}</text>"##,
        H - 8.0,
        W - RIGHT,
        H - 8.0
    );
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        // The completed area under its line, then both lines on top.
        let _ = write!(
            s,
            r##"<polygon class="burnup-done-area" fill="#5e6ad2" fill-opacity="0.12" points="{:.1},{:.1} {} {:.1},{:.1}"/>"##,
            x(first.date),
            y(0),
            points(&|d| d.completed),
            x(last.date),
            y(0)
        );
        let _ = write!(
            s,
            r##"<polyline class="burnup-scope" fill="none" stroke="#9ca3af" stroke-width="2" stroke-dasharray="4 3" points="{}"/>"##,
            points(&|d| d.scope)
        );
        let _ = write!(
            s,
            r##"<polyline class="burnup-completed" fill="none" stroke="#5e6ad2" stroke-width="2.5" points="{}"/>"##,
            points(&|d| d.completed)
        );
        let _ = write!(
            s,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="#5e6ad2"/>"##,
            x(last.date),
            y(last.completed)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn task(created: OffsetDateTime, completed: Option<OffsetDateTime>) -> TaskTimes {
        TaskTimes {
            created_at: created,
            completed_at: completed,
            canceled_at: None,
        }
    }

    #[test]
    fn counts_scope_and_completed_per_day() {
        let tasks = [
            // Before the cycle: in scope from day one, done on day two.
            task(
                datetime!(2026-10-28 09:00 UTC),
                Some(datetime!(2026-11-03 16:00 UTC)),
            ),
            // Added on day three, still open.
            task(datetime!(2026-11-04 10:00 UTC), None),
            // Added and done on day three.
            task(
                datetime!(2026-11-04 11:00 UTC),
                Some(datetime!(2026-11-04 23:59 UTC)),
            ),
            // Canceled on day four: leaves the scope from then on.
            TaskTimes {
                created_at: datetime!(2026-11-01 08:00 UTC),
                completed_at: None,
                canceled_at: Some(datetime!(2026-11-05 12:00 UTC)),
            },
        ];
        let days = compute(
            date!(2026 - 11 - 02),
            date!(2026 - 11 - 15),
            date!(2026 - 11 - 05),
            &tasks,
        );
        let got: Vec<(i64, i64)> = days.iter().map(|d| (d.scope, d.completed)).collect();
        assert_eq!(got, vec![(2, 0), (2, 1), (4, 2), (3, 2)]);
        assert_eq!(days[0].date, date!(2026 - 11 - 02));
        assert_eq!(days.last().unwrap().date, date!(2026 - 11 - 05));
    }

    #[test]
    fn a_past_cycle_runs_to_its_end_and_an_upcoming_one_is_empty() {
        let tasks = [task(datetime!(2026-01-01 00:00 UTC), None)];
        assert_eq!(
            compute(
                date!(2026 - 02 - 01),
                date!(2026 - 02 - 07),
                date!(2026 - 06 - 01),
                &tasks
            )
            .len(),
            7
        );
        assert!(
            compute(
                date!(2026 - 07 - 01),
                date!(2026 - 07 - 14),
                date!(2026 - 06 - 01),
                &tasks
            )
            .is_empty()
        );
    }

    #[test]
    fn svg_draws_both_lines_within_the_box() {
        let tasks = [task(
            datetime!(2026-11-02 09:00 UTC),
            Some(datetime!(2026-11-03 09:00 UTC)),
        )];
        let days = compute(
            date!(2026 - 11 - 02),
            date!(2026 - 11 - 15),
            date!(2026 - 11 - 04),
            &tasks,
        );
        let chart = svg(date!(2026 - 11 - 02), date!(2026 - 11 - 15), &days);
        assert!(chart.starts_with("<svg") && chart.ends_with("</svg>"));
        assert!(chart.contains("burnup-scope") && chart.contains("burnup-completed"));
        assert!(chart.contains("1 of 1 tasks completed"));
        // Every coordinate lies inside the view box.
        for pair in chart
            .split("points=\"")
            .skip(1)
            .map(|p| p.split('"').next().unwrap())
        {
            for xy in pair.split_whitespace() {
                let (x, y) = xy.split_once(',').unwrap();
                let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                assert!((0.0..=W).contains(&x) && (0.0..=H).contains(&y), "{xy}");
            }
        }
        assert!(!svg(date!(2026 - 11 - 02), date!(2026 - 11 - 15), &[]).contains("polyline"));
    }

    #[test]
    fn a_span_of_centuries_draws_a_bounded_number_of_points() {
        let days = compute(
            date!(0001 - 01 - 01),
            date!(2000 - 12 - 31),
            date!(2026 - 11 - 24),
            &[],
        );
        assert!(days.len() as i64 <= MAX_POINTS + 1, "{} points", days.len());
        assert_eq!(days.first().unwrap().date, date!(0001 - 01 - 01));
        assert_eq!(days.last().unwrap().date, date!(2000 - 12 - 31));
        assert!(days.windows(2).all(|w| w[0].date < w[1].date));
        // An ordinary cycle still has a point for each of its days.
        let two_weeks = compute(
            date!(2026 - 11 - 02),
            date!(2026 - 11 - 15),
            date!(2026 - 12 - 01),
            &[],
        );
        assert_eq!(two_weeks.len(), 14);
    }
}
