//! Durations from the command line and suite files, and the one place that
//! says how long each may be. An absurd value (`500y`, `18446744073709551615s`)
//! is a typo, and past some point no longer fits an `Instant` or a timer: it
//! is refused where it is written, naming the allowed range, instead of
//! overflowing later inside a running check.

use std::time::Duration;

/// The range one kind of duration setting accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    /// Zero is meaningful (a threshold that never warns) or not (a deadline).
    pub zero_allowed: bool,
    pub max: Duration,
    /// `max` as written in messages and docs; parses back to `max`.
    pub max_text: &'static str,
}

/// Deadlines and retry windows (`--timeout`, `--retry-for`, `--retry-every`,
/// a check's `timeout`): more than zero, at most a day. A gate that waits
/// longer than a day is a mistake, and a day still adds to any `Instant`.
pub const DEADLINE: Range = Range { zero_allowed: false, max: Duration::from_secs(24 * 3600), max_text: "24h" };

/// Thresholds compared with what a check observes (`min_ttl`, `max_lag`):
/// zero to ten years, longer than any token lifetime or lag worth warning
/// about, and far inside `i64` seconds.
pub const THRESHOLD: Range =
    Range { zero_allowed: true, max: Duration::from_secs(10 * 31_557_600), max_text: "10years" };

/// How long before a certificate's end to warn (`cert_expiry_warn`): zero to
/// 10000 years, as X.509 dates reach 9999-12-31 (RFC 5280's "no expiry"
/// value; rcgen and some internal CAs issue such certificates).
pub const CERT_HORIZON: Range =
    Range { zero_allowed: true, max: Duration::from_secs(10_000 * 31_557_600), max_text: "10000years" };

impl Range {
    /// "more than 0 and at most 24h", for messages.
    pub fn describe(&self) -> String {
        let low = if self.zero_allowed { "from 0s" } else { "more than 0" };
        let high = if self.zero_allowed { "to" } else { "and at most" };
        format!("{low} {high} {}", self.max_text)
    }

    /// Parses `500ms`, `5s`, `2m`, `1h 30m`; an error names the allowed range.
    pub fn parse(&self, text: &str) -> Result<Duration, String> {
        // humantime, not jiff (src/time.rs): its `y` and `M` are fixed
        // lengths (365.25 and 30.44 days), so `10years` is a duration;
        // jiff's years and months are calendar units and it has no `M`.
        let range = self.describe();
        let value = humantime::parse_duration(text)
            .map_err(|e| format!("`{text}` is not a duration ({}); write e.g. 500ms, 5s, 2m ({range})", why_not(&e)))?;
        if value.is_zero() && !self.zero_allowed {
            return Err(format!("`{text}` is zero; a duration here must be {range}"));
        }
        if value > self.max {
            return Err(format!("`{text}` is too long; a duration here must be {range}"));
        }
        Ok(value)
    }
}

/// humantime's reason in a few words: its own message lists every unit it
/// knows, a second hint beside the examples the message gives.
fn why_not(error: &humantime::DurationError) -> String {
    use humantime::DurationError as E;
    match error {
        E::UnknownUnit { unit, .. } => format!("unknown unit `{unit}`"),
        E::NumberExpected(_) => "a number is expected before each unit".to_string(),
        E::InvalidCharacter(_) => "an unexpected character".to_string(),
        E::NumberOverflow => "the number is too large".to_string(),
        E::Empty => "it is empty".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn max_text_is_the_max() {
        for range in [DEADLINE, THRESHOLD, CERT_HORIZON] {
            assert_eq!(humantime::parse_duration(range.max_text).unwrap(), range.max);
            assert_eq!(range.parse(range.max_text), Ok(range.max));
        }
    }

    #[test]
    fn deadlines_are_more_than_zero_and_at_most_a_day() {
        assert_eq!(DEADLINE.parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(DEADLINE.parse("24h"), Ok(Duration::from_secs(86_400)));
        for bad in ["0s", "24h 1s", "500y", "18446744073709551615s", "99999999999999999999999s", "soon", ""] {
            let err = DEADLINE.parse(bad).unwrap_err();
            assert!(err.contains("more than 0 and at most 24h"), "{bad}: {err}");
        }
    }

    #[test]
    fn thresholds_take_zero_and_up_to_ten_years() {
        assert_eq!(THRESHOLD.parse("0s"), Ok(Duration::ZERO));
        assert_eq!(THRESHOLD.parse("14d"), Ok(Duration::from_secs(14 * 86_400)));
        let err = THRESHOLD.parse("11years").unwrap_err();
        assert!(err.contains("from 0s to 10years"), "{err}");
    }

    proptest! {
        #![proptest_config(crate::test_strategies::config())]

        /// Any number with any unit, or any text: a value within the range,
        /// or an error naming the range; never a panic.
        #[test]
        fn a_parsed_duration_is_in_range_or_the_error_names_the_range(
            number in prop_oneof![any::<u64>().prop_map(|n| n.to_string()), "[0-9]{1,30}", "[0-9 .-]{0,6}"],
            unit in prop::sample::select(vec!["", "ns", "us", "ms", "s", "m", "h", "d", "w", "M", "y", "years", "x"]),
            text in crate::test_strategies::any_text(),
        ) {
            for input in [format!("{number}{unit}"), text.clone()] {
                for range in [DEADLINE, THRESHOLD, CERT_HORIZON] {
                    match range.parse(&input) {
                        Ok(value) => prop_assert!(value <= range.max && (range.zero_allowed || !value.is_zero())),
                        Err(err) => {
                            prop_assert!(err.contains(&range.describe()), "{}", err);
                            // One hint: the examples, not also humantime's list of units.
                            prop_assert!(!err.contains("supported units") && err.matches("e.g.").count() <= 1, "{}", err);
                        }
                    }
                }
            }
        }
    }
}
