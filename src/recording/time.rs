//! A minimal RFC 3339 reader and writer for the `reprise.startTime` field.
//! reprise only needs "timestamp with offset ⇄ epoch milliseconds", which is a
//! few dozen lines of calendar arithmetic, so it lives here instead of pulling
//! a date crate into every build.

const MS_PER_DAY: i64 = 86_400_000;

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` into UTC epoch
/// milliseconds. Fractions beyond milliseconds are truncated because the page
/// clock reprise pins has millisecond resolution anyway. `None` means "not
/// RFC 3339"; the caller owns the error message because it knows the field.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |start: usize, len: usize| -> Option<i64> {
        let digits = b.get(start..start + len)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(
            digits
                .iter()
                .fold(0, |acc, d| acc * 10 + i64::from(d - b'0')),
        )
    };
    let sep = |at: usize, allowed: &[u8]| b.get(at).is_some_and(|c| allowed.contains(c));

    let year = num(0, 4)?;
    let month = num(5, 2)?;
    let day = num(8, 2)?;
    let hour = num(11, 2)?;
    let minute = num(14, 2)?;
    let second = num(17, 2)?;
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }

    let mut i = 19;
    let mut millis = 0;
    if sep(i, b".") {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 3 {
                millis = millis * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        match i - start {
            0 => return None,
            1 => millis *= 100,
            2 => millis *= 10,
            _ => {}
        }
    }

    let offset_minutes = match b.get(i) {
        Some(b'Z' | b'z') => {
            i += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let oh = num(i + 1, 2)?;
            let om = num(i + 4, 2)?;
            if !sep(i + 3, b":") || oh > 23 || om > 59 {
                return None;
            }
            i += 6;
            let magnitude = oh * 60 + om;
            if sign == b'-' {
                -magnitude
            } else {
                magnitude
            }
        }
        _ => return None,
    };
    if i != b.len() {
        return None;
    }

    let valid = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour <= 23
        && minute <= 59
        && second <= 60; // RFC 3339 allows a leap second
    if !valid {
        return None;
    }

    let days = days_from_civil(year, month, day);
    let seconds = hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(days * MS_PER_DAY + seconds * 1000 + millis)
}

/// Writes UTC with millisecond precision (`2026-03-14T08:26:53.120Z`), the
/// form importers write back. `None` for instants outside years 0000–9999,
/// which RFC 3339 cannot express; callers then fall back to epoch millis.
pub fn format_rfc3339_ms(ms: i64) -> Option<String> {
    let days = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return None;
    }
    let secs = in_day / 1000;
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        in_day % 1000
    ))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utc_and_offsets() {
        // `date -u -d 2026-03-14T09:26:53Z +%s` = 1773480413
        assert_eq!(
            parse_rfc3339_ms("2026-03-14T09:26:53Z"),
            Some(1_773_480_413_000)
        );
        assert_eq!(
            parse_rfc3339_ms("2026-03-14T09:26:53.120+01:00"),
            Some(1_773_480_413_120 - 3_600_000)
        );
        assert_eq!(
            parse_rfc3339_ms("2026-03-14T09:26:53.5-02:30"),
            Some(1_773_480_413_500 + 9_000_000)
        );
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339_ms("1969-12-31T23:59:59.999Z"), Some(-1));
        assert_eq!(
            parse_rfc3339_ms("2024-02-29t12:00:00.123456z"),
            Some(1_709_208_000_123)
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "2026-03-14",
            "2026-03-14T09:26:53",
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-03-14T24:00:00Z",
            "2026-03-14T09:26:53.Z",
            "2026-03-14T09:26:53+0100",
            "2026-03-14T09:26:53Zjunk",
            "2026-03-14T09:26:+3Z",
            "2023-02-29T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn format_round_trips() {
        for ms in [
            0,
            -1,
            1_773_476_813_120,
            951_782_400_000,
            -62_135_596_800_000,
        ] {
            let s = format_rfc3339_ms(ms).unwrap();
            assert_eq!(parse_rfc3339_ms(&s), Some(ms), "{s}");
        }
        assert_eq!(
            format_rfc3339_ms(1_773_476_813_120).unwrap(),
            "2026-03-14T08:26:53.120Z"
        );
        assert_eq!(format_rfc3339_ms(i64::MAX), None);
    }
}
