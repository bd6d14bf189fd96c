//! Sets of nanosecond times as sorted, disjoint, half-open ranges `[start, end)`: what a file
//! covers, what runs asked for, what is collected, and what is left to export.

use serde::{Deserialize, Serialize};

/// A set of times: sorted, disjoint, non-adjacent `[start, end)` ranges, never empty ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<(i64, i64)>", into = "Vec<(i64, i64)>")]
pub struct Ranges(Vec<(i64, i64)>);

impl From<Vec<(i64, i64)>> for Ranges {
    /// Normalises any list: sorts, drops empty ranges, merges overlapping and adjacent ones.
    fn from(mut v: Vec<(i64, i64)>) -> Ranges {
        v.retain(|(a, b)| a < b);
        v.sort_unstable();
        let mut out: Vec<(i64, i64)> = Vec::with_capacity(v.len());
        for (a, b) in v {
            match out.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        Ranges(out)
    }
}

impl From<Ranges> for Vec<(i64, i64)> {
    fn from(r: Ranges) -> Self {
        r.0
    }
}

impl Ranges {
    pub fn new() -> Ranges {
        Ranges(Vec::new())
    }

    /// `[start, end)`, or the empty set when `start >= end`.
    pub fn span(start: i64, end: i64) -> Ranges {
        Ranges::from(vec![(start, end)])
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_slice(&self) -> &[(i64, i64)] {
        &self.0
    }

    pub fn union(&self, other: &Ranges) -> Ranges {
        Ranges::from([self.0.as_slice(), other.0.as_slice()].concat())
    }

    pub fn intersect(&self, other: &Ranges) -> Ranges {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.0.len() && j < other.0.len() {
            let (a, b) = (self.0[i], other.0[j]);
            let (lo, hi) = (a.0.max(b.0), a.1.min(b.1));
            if lo < hi {
                out.push((lo, hi));
            }
            if a.1 < b.1 { i += 1 } else { j += 1 }
        }
        Ranges(out)
    }

    /// The times of `self` that are not in `other`.
    pub fn minus(&self, other: &Ranges) -> Ranges {
        let mut out = Vec::new();
        let mut j = 0;
        for &(a, b) in &self.0 {
            let mut start = a;
            while j < other.0.len() && other.0[j].1 <= start {
                j += 1;
            }
            let mut k = j;
            while k < other.0.len() && other.0[k].0 < b {
                let (c, d) = other.0[k];
                if c > start {
                    out.push((start, c));
                }
                start = start.max(d);
                k += 1;
            }
            if start < b {
                out.push((start, b));
            }
        }
        Ranges(out)
    }

    /// Whether every time of `other` is in `self`.
    pub fn covers(&self, other: &Ranges) -> bool {
        other.minus(self).is_empty()
    }

    /// The smallest single range holding the set.
    pub fn hull(&self) -> Option<(i64, i64)> {
        Some((self.0.first()?.0, self.0.last()?.1))
    }

    pub fn contains(&self, t: i64) -> bool {
        let i = self.0.partition_point(|&(_, b)| b <= t);
        self.0.get(i).is_some_and(|&(a, _)| a <= t)
    }

    /// Total length in nanoseconds.
    pub fn len_ns(&self) -> i64 {
        self.0.iter().map(|(a, b)| b - a).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn set(v: &[(i64, i64)]) -> Ranges {
        Ranges::from(v.to_vec())
    }

    #[test]
    fn normalises_and_computes() {
        let a = set(&[(5, 8), (0, 2), (2, 3), (7, 9), (4, 4)]);
        assert_eq!(a.as_slice(), &[(0, 3), (5, 9)]);
        let b = set(&[(1, 6)]);
        assert_eq!(a.union(&b).as_slice(), &[(0, 9)]);
        assert_eq!(a.intersect(&b).as_slice(), &[(1, 3), (5, 6)]);
        assert_eq!(a.minus(&b).as_slice(), &[(0, 1), (6, 9)]);
        assert_eq!(b.minus(&a).as_slice(), &[(3, 5)]);
        assert!(a.covers(&set(&[(0, 1), (6, 9)])));
        assert!(!a.covers(&b));
        assert_eq!(a.hull(), Some((0, 9)));
        assert!(a.contains(0) && !a.contains(3) && a.contains(8) && !a.contains(9));
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, "[[0,3],[5,9]]");
        assert_eq!(serde_json::from_str::<Ranges>("[[5,9],[0,3]]").unwrap(), a);
    }

    fn arb() -> impl Strategy<Value = Ranges> {
        prop::collection::vec((0i64..60, 0i64..10), 0..6)
            .prop_map(|v| Ranges::from(v.into_iter().map(|(a, l)| (a, a + l)).collect::<Vec<_>>()))
    }

    proptest! {
        /// Every operation agrees with membership of each time, point by point.
        #[test]
        fn operations_agree_with_membership(a in arb(), b in arb()) {
            let (u, i, m) = (a.union(&b), a.intersect(&b), a.minus(&b));
            for t in -1..75 {
                prop_assert_eq!(u.contains(t), a.contains(t) || b.contains(t));
                prop_assert_eq!(i.contains(t), a.contains(t) && b.contains(t));
                prop_assert_eq!(m.contains(t), a.contains(t) && !b.contains(t));
            }
            for r in [&u, &i, &m] {
                prop_assert_eq!(r, &Ranges::from(r.as_slice().to_vec()));
            }
            prop_assert_eq!(a.covers(&b), b.minus(&a).is_empty());
        }
    }
}
