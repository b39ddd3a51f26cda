//! Instants read and written as RFC 3339, in one place, on `jiff`.
//!
//! Only four-digit years from 1970 are written: RFC 3339 stops at
//! 9999-12-31, and a Unix time before 1970 (a certificate's date, a
//! server's clock) is a wrong value worth saying so, not a date to show.
//! Durations are written by [`crate::human::duration`].

use jiff::civil::DateTime;
use jiff::fmt::temporal::Pieces;
use jiff::SignedDuration;
use std::fmt;
use std::time::SystemTime;

/// 9999-12-31T23:59:59Z: the last second RFC 3339 and X.509's
/// GeneralizedTime can write, as Unix seconds.
pub const LAST_SECOND: i64 = 253_402_300_799;

/// Why Unix seconds are not written as a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unwritable {
    Before1970,
    After9999,
}

impl fmt::Display for Unwritable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unwritable::Before1970 => "before 1970",
            Unwritable::After9999 => "after 9999",
        })
    }
}

// Instants are handled as UTC civil date-times counted from the epoch, not
// as `jiff::Timestamp`: a Timestamp ends on 9999-12-30 (so that its local
// time at any offset stays within year 9999), a day before certificates'
// "no expiry" date, 9999-12-31T23:59:59Z.
const EPOCH: DateTime = DateTime::constant(1970, 1, 1, 0, 0, 0, 0);

fn utc(unix: i64) -> Result<DateTime, Unwritable> {
    match unix {
        ..0 => Err(Unwritable::Before1970),
        0..=LAST_SECOND => EPOCH.checked_add(SignedDuration::from_secs(unix)).map_err(|_| Unwritable::After9999),
        _ => Err(Unwritable::After9999),
    }
}

/// Unix seconds as RFC 3339 UTC: `2026-01-07T09:00:00Z`.
pub fn rfc3339(unix: i64) -> Result<String, Unwritable> {
    // Precision 0: whole seconds, never a fraction.
    utc(unix).map(|at| format!("{at:.0}Z"))
}

/// Unix seconds as a UTC date: `2026-01-07`.
pub fn date(unix: i64) -> Result<String, Unwritable> {
    utc(unix).map(|at| at.date().to_string())
}

/// Whole Unix seconds of `at` (rounded towards the epoch), saturating at
/// the ends of `i64`.
pub fn unix_seconds(at: SystemTime) -> i64 {
    match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |secs| -secs),
    }
}

/// An RFC 3339 date-time as a peer writes it, with `T` and an explicit
/// zone: `2026-01-08T09:29:21.707Z`, `…+01:00`, `…-05:00`. A time without a
/// zone is refused rather than guessed as UTC.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    if !is_rfc3339_shape(text.as_bytes()) {
        return None;
    }
    let pieces = Pieces::parse(text).ok()?;
    let local = pieces.date().to_datetime(pieces.time()?);
    let offset = SignedDuration::from_secs(i64::from(pieces.to_numeric_offset()?.seconds()));
    // 10:00+02:00 is 08:00 UTC.
    let since_epoch = local.duration_since(EPOCH).checked_sub(offset)?;
    let magnitude = since_epoch.unsigned_abs();
    if since_epoch.is_negative() {
        SystemTime::UNIX_EPOCH.checked_sub(magnitude)
    } else {
        SystemTime::UNIX_EPOCH.checked_add(magnitude)
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, byte for byte. jiff reads
/// Temporal's wider grammar (a space or `t` for `T`, `+0100`, `+01`,
/// `[Europe/Paris]` annotations); an answer that claims RFC 3339 is held
/// to RFC 3339, upper case as JavaScript's `toISOString()` writes it.
fn is_rfc3339_shape(text: &[u8]) -> bool {
    const DATE_TIME: &[u8] = b"dddd-dd-ddTdd:dd:dd";
    let Some((date_time, rest)) = text.split_at_checked(DATE_TIME.len()) else { return false };
    let fits = |bytes: &[u8], shape: &[u8]| {
        bytes.len() == shape.len()
            && bytes.iter().zip(shape).all(|(b, s)| if *s == b'd' { b.is_ascii_digit() } else { b == s })
    };
    if !fits(date_time, DATE_TIME) {
        return false;
    }
    let zone = match rest.strip_prefix(b".") {
        Some(fraction) => {
            let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
            // jiff keeps nanoseconds: nine digits at most.
            if !(1..=9).contains(&digits) {
                return false;
            }
            &fraction[digits..]
        }
        None => rest,
    };
    zone == b"Z" || (zone.len() == 6 && matches!(zone[0], b'+' | b'-') && fits(&zone[1..], b"dd:dd"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn instants_are_written_to_the_second_in_utc() {
        assert_eq!(rfc3339(1_767_776_400), Ok("2026-01-07T09:00:00Z".into()));
        assert_eq!(rfc3339(0), Ok("1970-01-01T00:00:00Z".into()));
        assert_eq!(rfc3339(LAST_SECOND), Ok("9999-12-31T23:59:59Z".into()));
        assert_eq!(rfc3339(LAST_SECOND + 1), Err(Unwritable::After9999));
        assert_eq!(parse_rfc3339("9999-12-31T23:59:59Z").map(unix_seconds), Some(LAST_SECOND));
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z").map(unix_seconds), Some(-1));
        assert_eq!(rfc3339(-1), Err(Unwritable::Before1970));
        assert_eq!(date(1_767_776_400), Ok("2026-01-07".into()));
        assert_eq!(date(i64::MIN).unwrap_err().to_string(), "before 1970");
        assert_eq!(date(i64::MAX).unwrap_err().to_string(), "after 9999");
    }

    #[test]
    fn system_times_become_whole_unix_seconds() {
        assert_eq!(unix_seconds(UNIX_EPOCH + Duration::from_millis(1_500)), 1);
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(5)), -5);
    }

    #[test]
    fn rfc3339_is_read_with_its_zone_and_nothing_wider() {
        let utc = parse_rfc3339("2026-01-08T09:29:21.707Z").unwrap();
        assert_eq!(utc, UNIX_EPOCH + Duration::from_millis(1_767_864_561_707));
        assert_eq!(parse_rfc3339("2026-01-08T10:29:21.707+01:00"), Some(utc));
        assert_eq!(parse_rfc3339("2026-01-08T04:29:21.707-05:00"), Some(utc));
        assert_eq!(parse_rfc3339("2026-01-08T09:29:21Z"), Some(utc - Duration::from_millis(707)));
        assert_eq!(parse_rfc3339("2026-01-08T09:29:21.123456789Z").map(unix_seconds), Some(1_767_864_561));
        // RFC 3339's unknown local offset is still UTC; a leap second is the second before it.
        assert_eq!(parse_rfc3339("2026-01-08T09:29:21.707-00:00"), Some(utc));
        assert_eq!(parse_rfc3339("2016-12-31T23:59:60Z"), parse_rfc3339("2016-12-31T23:59:59Z"));
        for refused in [
            "2026-01-08T09:29:21",
            "2026-01-08 09:29:21Z",
            "2026-01-08t09:29:21Z",
            "2026-01-08T09:29:21z",
            "2026-01-08T09:29:21+0100",
            "2026-01-08T09:29:21+01",
            "2026-01-08T09:29:21Z[UTC]",
            "2026-01-08T09:29:21.Z",
            "2026-01-08T09:29:21.1234567890Z",
            "2026-01-08T09:29:21,5Z",
            "+002026-01-08T09:29:21Z",
            "20260108T092921Z",
            "2026-02-30T09:29:21Z",
            "2026-01-08T24:00:00Z",
            " 2026-01-08T09:29:21Z",
        ] {
            assert_eq!(parse_rfc3339(refused), None, "{refused}");
        }
    }

    proptest! {
        #![proptest_config(crate::test_strategies::config())]

        /// Any Unix seconds: written or refused, never a panic; what is
        /// written reads back as the same instant, and its date is its
        /// first ten characters.
        #[test]
        fn any_unix_seconds_are_written_or_refused_and_read_back(
            unix in prop_oneof![any::<i64>(), -86_400..=LAST_SECOND + 86_400],
        ) {
            match rfc3339(unix) {
                Ok(text) => {
                    prop_assert!((0..=LAST_SECOND).contains(&unix));
                    let back = parse_rfc3339(&text).map(unix_seconds);
                    prop_assert_eq!(back, Some(unix), "{}", text);
                    prop_assert_eq!(date(unix), Ok(text[..10].to_string()));
                }
                Err(side) => {
                    prop_assert_eq!(side == Unwritable::Before1970, unix < 0);
                    prop_assert_eq!(date(unix), Err(side));
                }
            }
        }

        /// Any text: an instant or none, never a panic.
        #[test]
        fn any_text_is_read_or_refused(text in prop_oneof![
            crate::test_strategies::any_text(),
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,11})?(Z|[+-][0-9]{2}:[0-9]{2}|[+-].{5})",
        ]) {
            let _ = parse_rfc3339(&text);
        }
    }
}
