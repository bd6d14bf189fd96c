//! The rows the mock has "collected": the exact oracle every export is cut from.
//!
//! Each datastream has, in every hour `H` inside the collected ranges, the same number of rows
//! `per_hour` (fixed by `--artifact-size`: a full hour's raw CSV artifact has exactly that many
//! bytes), row `i` at `H + i × (1 h / per_hour)`. Its message depends only on the datastream,
//! the hour and `i`, so two exports that share a row hold the same row. An export of
//! `[start, end)` holds exactly the rows with `start <= collection_timestamp < end` that lie
//! inside the collected ranges at the moment it was created.

use std::sync::Arc;

pub const HOUR_NS: i64 = 3_600_000_000_000;
/// Collection began on 2024-01-01 with one outage, 2024-06-01 → 2024-06-02 (every datastream).
pub const COLLECTION_START_NS: i64 = 1_704_067_200_000_000_000;
pub const OUTAGE_FROM_NS: i64 = 1_717_200_000_000_000_000;
pub const OUTAGE_TO_NS: i64 = 1_717_286_400_000_000_000;

/// The collected ranges `[from, to)` when the collection clock reads `now_ns`.
pub fn collected(now_ns: i64) -> Vec<(i64, i64)> {
    [
        (COLLECTION_START_NS, OUTAGE_FROM_NS.min(now_ns)),
        (OUTAGE_TO_NS, now_ns),
    ]
    .into_iter()
    .filter(|(f, t)| f < t)
    .collect()
}

/// Rows `[first, first + count)` of one hour of one datastream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub hour_start_ns: i64,
    /// Seeds the hour's messages: the datastream and the hour.
    pub seed: u64,
    pub first: u64,
    pub count: u64,
}

/// What one artifact holds: segments in time order, and the row count of a full hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowSet {
    pub per_hour: u64,
    pub segments: Arc<[Segment]>,
    /// A raw CSV artifact holding exactly one full hour is padded to this size.
    pub full_hour_size: u64,
}

impl RowSet {
    pub fn rows(&self) -> u64 {
        self.segments.iter().map(|s| s.count).sum()
    }

    /// Exactly one whole hour of rows.
    pub fn is_full_hour(&self) -> bool {
        matches!(&*self.segments, [s] if s.first == 0 && s.count == self.per_hour)
    }
}

/// The seed of a datastream's hour.
pub fn seed(datastream_id: i64, hour_start_ns: i64) -> u64 {
    ((datastream_id as u64) << 32) ^ (hour_start_ns.div_euclid(HOUR_NS) as u64)
}

/// Spacing of an hour's rows.
pub fn step_ns(per_hour: u64) -> i64 {
    HOUR_NS / per_hour.max(1) as i64
}

fn ceil_div(a: i64, b: i64) -> i64 {
    -((-a).div_euclid(b))
}

/// The rows of `[start, end)` inside `collected`, hour by hour.
pub fn segments(
    datastream_id: i64,
    per_hour: u64,
    start: i64,
    end: i64,
    collected: &[(i64, i64)],
) -> Vec<Segment> {
    let step = step_ns(per_hour);
    let mut out: Vec<Segment> = Vec::new();
    if start >= end {
        return out;
    }
    let mut hour = start.div_euclid(HOUR_NS) * HOUR_NS;
    while hour < end {
        for &(f, t) in collected {
            let lo = start.max(hour).max(f);
            let hi = end.min(hour + HOUR_NS).min(t);
            if lo >= hi {
                continue;
            }
            let first = ceil_div(lo - hour, step).clamp(0, per_hour as i64) as u64;
            let last = ceil_div(hi - hour, step).clamp(0, per_hour as i64) as u64;
            if last <= first {
                continue;
            }
            match out.last_mut() {
                Some(s) if s.hour_start_ns == hour && s.first + s.count == first => {
                    s.count += last - first
                }
                _ => out.push(Segment {
                    hour_start_ns: hour,
                    seed: seed(datastream_id, hour),
                    first,
                    count: last - first,
                }),
            }
        }
        hour += HOUR_NS;
    }
    out
}

/// Rows of `[from, to)` (for availability's estimate), without walking every hour.
pub fn count(per_hour: u64, from: i64, to: i64) -> u64 {
    if from >= to {
        return 0;
    }
    let step = step_ns(per_hour);
    let in_hour = |hour: i64, lo: i64, hi: i64| {
        let index = |t: i64| ceil_div(t - hour, step).clamp(0, per_hour as i64) as u64;
        index(hi) - index(lo)
    };
    let (h0, h1) = (
        from.div_euclid(HOUR_NS) * HOUR_NS,
        (to - 1).div_euclid(HOUR_NS) * HOUR_NS,
    );
    if h0 == h1 {
        return in_hour(h0, from, to);
    }
    let middle = ((h1 - h0) / HOUR_NS - 1) as u64;
    in_hour(h0, from, h0 + HOUR_NS) + middle * per_hour + in_hour(h1, h1, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H0: i64 = 1_709_251_200_000_000_000; // 2024-03-01T00:00:00Z

    #[test]
    fn a_window_holds_exactly_the_rows_whose_time_lies_in_it() {
        let per_hour = 100;
        let step = step_ns(per_hour);
        let all = segments(1, per_hour, H0, H0 + 3 * HOUR_NS, &collected(i64::MAX));
        assert_eq!(all.iter().map(|s| s.count).sum::<u64>(), 300);
        // Cut at arbitrary nanoseconds: every row exactly once, in one of the two halves.
        for cut in [
            H0 + 1,
            H0 + step,
            H0 + step + 1,
            H0 + HOUR_NS - 1,
            H0 + 90 * 60_000_000_000,
        ] {
            let a = segments(1, per_hour, H0, cut, &collected(i64::MAX));
            let b = segments(1, per_hour, cut, H0 + 3 * HOUR_NS, &collected(i64::MAX));
            let n = |v: &[Segment]| v.iter().map(|s| s.count).sum::<u64>();
            assert_eq!(n(&a) + n(&b), 300, "cut at {cut}");
            for s in &a {
                assert!(s.hour_start_ns + (s.first + s.count - 1) as i64 * step < cut);
            }
            for s in &b {
                assert!(s.hour_start_ns + s.first as i64 * step >= cut);
            }
        }
    }

    #[test]
    fn rows_stop_at_the_collection_clock_and_skip_the_outage() {
        let now = H0 + 30 * 60_000_000_000;
        let s = segments(1, 100, H0, H0 + 2 * HOUR_NS, &collected(now));
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].first, s[0].count), (0, 50));
        let outage = segments(1, 100, OUTAGE_FROM_NS, OUTAGE_TO_NS, &collected(i64::MAX));
        assert!(outage.is_empty());
        assert_eq!(count(100, H0, H0 + HOUR_NS / 2), 50);
        for (from, to) in [
            (H0 + 7, H0 + 5 * HOUR_NS + 11),
            (H0, H0 + 3 * HOUR_NS),
            (H0 + 1, H0 + 2),
        ] {
            let walked: u64 = segments(1, 100, from, to, &[(0, i64::MAX)])
                .iter()
                .map(|s| s.count)
                .sum();
            assert_eq!(count(100, from, to), walked);
        }
    }
}
