//! [`DbTime`]: how a time is stored, the one difference between the backends that touches
//! every table. SQLite has no time type: it stores fixed-width RFC 3339 UTC text with
//! microseconds (`2025-03-01T09:00:00.000000Z`), so comparing and sorting the text in SQL
//! compares and sorts times. PostgreSQL stores `TIMESTAMPTZ`. Both keep microseconds. Binding
//! and decoding a `DbTime` does the right thing on each, so statements are written once.

use chrono::{DateTime, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};

/// A UTC time as the database stores it (bind `DbTime(t)`, read with
/// [`crate::db::RowExt::time`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct DbTime(pub DateTime<Utc>);

impl DbTime {
    /// The single SQLite text form: microseconds, always six digits, `Z`.
    pub(crate) fn to_text(self) -> String {
        self.0.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    }

    fn from_text(s: &str) -> Result<Self, CorruptTime> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| DbTime(t.with_timezone(&Utc)))
            .map_err(|_| CorruptTime(s.to_owned()))
    }
}

/// SQLite text that is not a time: the row was written by something else.
#[derive(Debug, thiserror::Error)]
#[error("not an RFC 3339 time: {0:?}")]
pub(crate) struct CorruptTime(pub String);

impl Type<Sqlite> for DbTime {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for DbTime {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Sqlite>>::encode(self.to_text(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for DbTime {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<'r, Sqlite>>::decode(value)?;
        Ok(DbTime::from_text(text)?)
    }
}

impl Type<Postgres> for DbTime {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <DateTime<Utc> as Type<Postgres>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Postgres> for DbTime {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<'q, Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for DbTime {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(DbTime(<DateTime<Utc> as Decode<'r, Postgres>>::decode(
            value,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn sqlite_text_is_fixed_width_and_round_trips() {
        let t = Utc
            .with_ymd_and_hms(2025, 3, 1, 9, 0, 0)
            .single()
            .expect("valid time");
        assert_eq!(DbTime(t).to_text(), "2025-03-01T09:00:00.000000Z");
        let later = t + chrono::Duration::microseconds(1_500_001);
        assert_eq!(DbTime(later).to_text(), "2025-03-01T09:00:01.500001Z");
        assert_eq!(
            DbTime::from_text(&DbTime(later).to_text()).ok(),
            Some(DbTime(later))
        );
        assert!(DbTime::from_text("yesterday").is_err());
    }
}
