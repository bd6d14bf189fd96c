//! What a window needs, from its state, the run's range and what is collected: per file, the
//! times to export (asked for, collected and settled, not yet in the file) and whether the file
//! stays open (asked-for times not collected yet); then the exports that bring those times in.

use super::plan::Window;
use super::ranges::Ranges;
use super::state::WindowState;
use crate::args::Partition;

/// One file's share of a window.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotWork {
    pub slot: i64,
    /// This run's range within the slot.
    pub request: Ranges,
    /// Times every run asked for, this one's included.
    pub wanted: Ranges,
    /// What the file covers already.
    pub covered: Ranges,
    /// Times to export now.
    pub need: Ranges,
    /// Asked-for times that are not collected (or not settled) yet: a later run adds them.
    pub open: bool,
}

/// What a run does with a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Some file needs times that can be exported.
    Export,
    /// Nothing to export yet, but asked-for times are still to be collected.
    Open,
    /// Every asked-for time is in the files.
    Done,
    /// Nothing was collected in the range.
    NoData,
}

/// An export to create for a window: its range, and the files it feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub start: i64,
    pub end: i64,
    pub slots: Vec<i64>,
}

#[derive(Debug, Clone)]
pub struct WindowWork {
    pub window: Window,
    pub slots: Vec<SlotWork>,
}

/// `w`'s work: `request` is the run's range, `settled` what of the collected data is final (see
/// [`super::plan::Datastream::settled`]).
pub fn window_work(
    w: &Window,
    partition: Partition,
    state: Option<&WindowState>,
    request: &Ranges,
    settled: &Ranges,
) -> WindowWork {
    let step = partition.step_ns();
    let frontier = settled.hull().map_or(i64::MIN, |(_, end)| end);
    let slots = w
        .slots(partition)
        .filter_map(|slot| {
            let span = Ranges::span(slot, slot + step);
            let request = request.intersect(&span);
            let file = state.and_then(|s| s.file(slot));
            let (covered, before) = file
                .map(|f| (f.covered.clone(), f.wanted.clone()))
                .unwrap_or_default();
            if request.is_empty() && before.is_empty() {
                return None;
            }
            let wanted = before.union(&request).intersect(&span);
            let need = wanted.intersect(settled).minus(&covered);
            // Times past the settled front are still to come; a gap between collected ranges
            // never will.
            let missing = wanted.minus(&covered).minus(&need);
            let open = !missing
                .intersect(&Ranges::span(frontier, i64::MAX))
                .is_empty();
            Some(SlotWork {
                slot,
                request,
                wanted,
                covered,
                need,
                open,
            })
        })
        .collect();
    WindowWork {
        window: w.clone(),
        slots,
    }
}

impl WindowWork {
    pub fn kind(&self, collected: &Ranges) -> Kind {
        if self.slots.iter().any(|s| !s.need.is_empty()) {
            Kind::Export
        } else if self.slots.iter().any(|s| s.open) {
            Kind::Open
        } else if self.slots.iter().all(|s| {
            s.request.intersect(collected).is_empty() && s.request.intersect(&s.covered).is_empty()
        }) {
            Kind::NoData
        } else {
            Kind::Done
        }
    }

    /// The exports that bring in every needed time: one for the window when rows can be split
    /// by time (its range the hull of the needs); else one per file, covering the file's whole
    /// range (covered and needed), which replaces the file.
    pub fn jobs(&self, split_by_time: bool) -> Vec<Job> {
        let needing: Vec<&SlotWork> = self.slots.iter().filter(|s| !s.need.is_empty()).collect();
        if needing.is_empty() {
            return Vec::new();
        }
        if split_by_time {
            let all = needing
                .iter()
                .fold(Ranges::new(), |acc, s| acc.union(&s.need));
            let (start, end) = all.hull().expect("not empty");
            return vec![Job {
                start,
                end,
                slots: needing.iter().map(|s| s.slot).collect(),
            }];
        }
        needing
            .iter()
            .map(|s| {
                let (start, end) = s.covered.union(&s.need).hull().expect("not empty");
                Job {
                    start,
                    end,
                    slots: vec![s.slot],
                }
            })
            .collect()
    }

    /// The times still needed, over every file.
    pub fn need(&self) -> Ranges {
        self.slots
            .iter()
            .fold(Ranges::new(), |acc, s| acc.union(&s.need))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::sync::plan::{DAY_NS, Datastream};

    const H: i64 = 3_600_000_000_000;

    fn window() -> Window {
        Window {
            ds: Arc::new(Datastream {
                id: 1,
                exchange: "binance".into(),
                instrument: "BTCUSDT".into(),
                stream_type: "trades".into(),
                ranges: vec![],
                estimates: vec![],
            }),
            start: 0,
        }
    }

    fn state_with(slot: i64, covered: Ranges, wanted: Ranges) -> WindowState {
        let w = window();
        let mut st = WindowState::new(&w, "raw", Partition::Day);
        let f = st.file_mut(slot);
        f.covered = covered;
        f.wanted = wanted;
        st
    }

    #[test]
    fn an_incremental_run_needs_only_what_is_new() {
        let w = window();
        let collected = Ranges::span(0, 10 * DAY_NS);
        let st = state_with(0, Ranges::span(0, 6 * H), Ranges::span(0, 6 * H));
        let ww = window_work(
            &w,
            Partition::Day,
            Some(&st),
            &Ranges::span(6 * H, 12 * H),
            &collected,
        );
        assert_eq!(ww.slots[0].need, Ranges::span(6 * H, 12 * H));
        assert_eq!(ww.kind(&collected), Kind::Export);
        assert_eq!(
            ww.jobs(true),
            vec![Job {
                start: 6 * H,
                end: 12 * H,
                slots: vec![0]
            }]
        );
        // Without a time to split by, the file is exported whole again.
        assert_eq!(ww.jobs(false)[0].start, 0);
        // A narrower rerun has nothing to do.
        let st = state_with(0, Ranges::span(0, 12 * H), Ranges::span(0, 12 * H));
        let ww = window_work(
            &w,
            Partition::Day,
            Some(&st),
            &Ranges::span(3 * H, 6 * H),
            &collected,
        );
        assert_eq!(ww.kind(&collected), Kind::Done);
    }

    #[test]
    fn times_not_collected_yet_keep_a_file_open_and_are_remembered() {
        let w = window();
        let settled = Ranges::span(0, 7 * H);
        let ww = window_work(
            &w,
            Partition::Hour,
            None,
            &Ranges::span(0, 12 * H),
            &settled,
        );
        assert_eq!(ww.need(), Ranges::span(0, 7 * H));
        let open: Vec<i64> = ww
            .slots
            .iter()
            .filter(|s| s.open)
            .map(|s| s.slot / H)
            .collect();
        assert_eq!(open, (7..12).collect::<Vec<_>>());
        // Once 0-7h is in, a narrower run still extends the file asked for before.
        let mut st = WindowState::new(&w, "raw", Partition::Hour);
        for s in &ww.slots {
            let f = st.file_mut(s.slot);
            f.wanted = s.wanted.clone();
            f.covered = s.need.clone();
        }
        let later = Ranges::span(0, 20 * H);
        let ww = window_work(&w, Partition::Hour, Some(&st), &Ranges::span(0, H), &later);
        assert_eq!(ww.need(), Ranges::span(7 * H, 12 * H));
    }

    #[test]
    fn a_range_without_collected_data_is_no_data() {
        let w = window();
        let collected = Ranges::span(2 * DAY_NS, 3 * DAY_NS);
        let ww = window_work(
            &w,
            Partition::Day,
            None,
            &Ranges::span(0, DAY_NS),
            &collected,
        );
        assert_eq!(ww.kind(&collected), Kind::NoData);
        assert!(ww.jobs(true).is_empty());
    }
}
