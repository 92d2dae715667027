//! Literal text the compiler writes itself: tier bucket labels and plain numbers.

use semantic::TierStyle;

/// Looker's tier labels, one per bucket: below the first tier, between each pair, from the last.
pub(super) fn tier_labels(tiers: &[f64], style: TierStyle) -> Vec<String> {
    let n = |v: f64| number_literal(v);
    let mut labels = Vec::with_capacity(tiers.len() + 1);
    for i in 0..=tiers.len() {
        let low = i.checked_sub(1).map(|j| tiers[j]);
        let high = tiers.get(i).copied();
        let label = match (style, low, high) {
            (TierStyle::Classic, None, Some(h)) => format!("T{i:02} (-inf,{})", n(h)),
            (TierStyle::Classic, Some(l), Some(h)) => format!("T{i:02} [{},{})", n(l), n(h)),
            (TierStyle::Classic, Some(l), None) => format!("T{i:02} [{},inf)", n(l)),
            (TierStyle::Interval, None, Some(h)) => format!("(-inf,{})", n(h)),
            (TierStyle::Interval, Some(l), Some(h)) => format!("[{},{})", n(l), n(h)),
            (TierStyle::Interval, Some(l), None) => format!("[{},inf)", n(l)),
            (TierStyle::Integer, None, Some(h)) => format!("Below {}", n(h)),
            (TierStyle::Integer, Some(l), Some(h)) => format!("{} to {}", n(l), n(h - 1.0)),
            (TierStyle::Integer, Some(l), None) => format!("{} or Above", n(l)),
            (TierStyle::Relational, None, Some(h)) => format!("< {}", n(h)),
            (TierStyle::Relational, Some(l), Some(h)) => format!(">= {} and < {}", n(l), n(h)),
            (TierStyle::Relational, Some(l), None) => format!(">= {}", n(l)),
            (_, None, None) => "Undefined".to_string(),
        };
        labels.push(label);
    }
    labels
}

/// A finite number as SQL: integers without a fraction.
pub(super) fn number_literal(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}
