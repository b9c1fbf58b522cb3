//! Timestamps on the wire: epoch seconds (`unixTimestamp`), ISO 8601 (`iso8601`) and the
//! HTTP date (`rfc822`), and the ISO 8601 text Step Functions renders them as.

use crate::data::timestamp::{Instant, civil_from_days, days_from_civil};
use serde_json::Value;

/// A timestamp's wire format, from a member's `timestampFormat` or the protocol's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Epoch,
    Iso,
    HttpDate,
}

impl Format {
    pub fn of(trait_value: Option<&str>, default: Format) -> Format {
        match trait_value {
            Some("unixTimestamp") => Format::Epoch,
            Some("iso8601") => Format::Iso,
            Some("rfc822") => Format::HttpDate,
            _ => default,
        }
    }
}

/// Milliseconds since the epoch of a normalized timestamp value (epoch seconds, possibly
/// fractional).
pub fn millis(v: &Value) -> Option<i64> {
    v.as_f64().map(|s| (s * 1000.0).round() as i64)
}

/// A timestamp value written in `format`.
pub fn write(v: &Value, format: Format) -> Option<Value> {
    let ms = millis(v)?;
    Some(match format {
        Format::Epoch => {
            if ms % 1000 == 0 {
                Value::from(ms / 1000)
            } else {
                Value::from(ms as f64 / 1000.0)
            }
        }
        Format::Iso => Value::String(iso(ms)),
        Format::HttpDate => Value::String(http_date(ms)),
    })
}

/// `2024-01-02T03:04:05Z`, with `.678` when there are milliseconds: how Step Functions
/// renders an SDK timestamp (Java's `Instant`).
pub fn iso(ms: i64) -> String {
    let full = Instant::from_unix_millis(ms).to_iso_millis();
    if ms.rem_euclid(1000) == 0 {
        format!("{}Z", &full[..19])
    } else {
        full
    }
}

/// `Tue, 02 Jan 2024 03:04:05 GMT`.
pub fn http_date(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1).clamp(0, 11) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Reads a timestamp in any of the wire formats into epoch milliseconds.
pub fn read(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_f64().map(|s| (s * 1000.0).round() as i64),
        Value::String(s) => read_text(s),
        _ => None,
    }
}

/// Reads a timestamp written as text: epoch seconds, ISO 8601 (with or without zone,
/// fraction, or separators' strictness), or an HTTP date.
pub fn read_text(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<f64>() {
        return Some((n * 1000.0).round() as i64);
    }
    if let Some(i) = crate::data::timestamp::parse(s) {
        return Some(i.unix_millis());
    }
    // ISO 8601 without a zone (UTC), or with a lower-case separator.
    let upper = s.to_ascii_uppercase().replace(' ', "T");
    if let Some(i) = crate::data::timestamp::parse(&upper)
        .or_else(|| crate::data::timestamp::parse(&format!("{upper}Z")))
    {
        return Some(i.unix_millis());
    }
    read_http_date(s)
}

fn read_http_date(s: &str) -> Option<i64> {
    // `Tue, 02 Jan 2024 03:04:05 GMT`
    let rest = s.split_once(", ").map_or(s, |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let [d, mon, y, hms, ..] = f[..] else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = MONTHS.iter().position(|x| x.eq_ignore_ascii_case(mon))? as i64 + 1;
    let (d, y): (i64, i64) = (d.parse().ok()?, y.parse().ok()?);
    let t: Vec<i64> = hms
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let [h, mi, sec] = t[..] else { return None };
    Some(((days_from_civil(y, m, d) * 86_400) + h * 3600 + mi * 60 + sec) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_and_reads_every_format() {
        let v = json!(1_704_164_645); // 2024-01-02T03:04:05Z
        assert_eq!(write(&v, Format::Epoch), Some(json!(1_704_164_645)));
        assert_eq!(write(&v, Format::Iso), Some(json!("2024-01-02T03:04:05Z")));
        assert_eq!(
            write(&v, Format::HttpDate),
            Some(json!("Tue, 02 Jan 2024 03:04:05 GMT"))
        );
        assert_eq!(write(&json!(1.5), Format::Epoch), Some(json!(1.5)));
        for text in [
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05.000Z",
            "2024-01-02T03:04:05",
            "Tue, 02 Jan 2024 03:04:05 GMT",
            "1704164645",
        ] {
            assert_eq!(read_text(text), Some(1_704_164_645_000), "{text}");
        }
        assert_eq!(iso(1_704_164_645_123), "2024-01-02T03:04:05.123Z");
        assert_eq!(read_text("yesterday"), None);
    }
}
