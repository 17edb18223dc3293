//! Instants. Stored as Unix milliseconds (a `bigint` sorts and compares the same on every
//! backend); shown and accepted as RFC 3339 strings, always answered in UTC with
//! milliseconds (`2026-11-30T23:59:59.000Z`), accepted with any offset.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// An instant, to the millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `ms` milliseconds after the Unix epoch.
    pub fn from_millis(ms: i64) -> Timestamp {
        Timestamp(ms)
    }

    /// Milliseconds after the Unix epoch, as stored.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// RFC 3339 in UTC, always with milliseconds; outside years 0 to 9999 (which nothing
    /// accepted by [`Timestamp::parse`] reaches), the raw number.
    pub fn to_rfc3339(self) -> String {
        let nanos = i128::from(self.0) * 1_000_000;
        match OffsetDateTime::from_unix_timestamp_nanos(nanos) {
            Ok(t) if (0..=9999).contains(&t.year()) => format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                t.millisecond()
            ),
            _ => self.0.to_string(),
        }
    }

    /// Parses RFC 3339 (`2026-11-30T23:59:59Z`, `2026-12-01T00:59:59+01:00`, fractions allowed).
    pub fn parse(text: &str) -> Result<Timestamp, String> {
        let parsed = OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|_| {
            format!("{text:?} is not an RFC 3339 date-time like 2026-11-30T23:59:59Z")
        })?;
        i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000)
            .map(Timestamp)
            .map_err(|_| format!("{text:?} is out of range"))
    }
}

impl From<i64> for Timestamp {
    fn from(ms: i64) -> Timestamp {
        Timestamp(ms)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .description(Some("RFC 3339; answered in UTC with milliseconds"))
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn shown_in_utc_with_milliseconds_and_read_with_any_offset() {
        let t = Timestamp::from_millis(1_796_083_199_000);
        assert_eq!(t.to_rfc3339(), "2026-11-30T23:59:59.000Z");
        assert_eq!(Timestamp::parse("2026-11-30T23:59:59Z"), Ok(t));
        assert_eq!(Timestamp::parse("2026-12-01T00:59:59+01:00"), Ok(t));
        assert_eq!(
            Timestamp::parse("2026-11-30T23:59:59.250Z").map(Timestamp::millis),
            Ok(1_796_083_199_250)
        );
        for bad in [
            "",
            "tomorrow",
            "2026-11-30",
            "2026-11-30 23:59:59",
            "1796083199000",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad} accepted");
        }
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2026-11-30T23:59:59.000Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
    }
}
