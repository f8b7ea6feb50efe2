//! [`DbJson`]: JSON text as the database stores it, SQLite `TEXT` (kept verbatim) and
//! PostgreSQL `JSONB`, so statements need no `::jsonb` / `::text` casts and are written once.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueFormat, PgValueRef};
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type, TypeInfo, ValueRef};

/// PostgreSQL's type ids of `jsonb` and `json` (fixed in its catalog).
const JSONB: Oid = Oid(3802);
const JSON: Oid = Oid(114);
/// The first byte of a binary `jsonb` value: the format version.
const JSONB_VERSION: u8 = 1;

/// A JSON document as text (already valid JSON: the callers validate or serialize it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DbJson(pub String);

impl Type<Sqlite> for DbJson {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for DbJson {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Sqlite>>::encode(self.0.clone(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for DbJson {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(DbJson(<String as Decode<'r, Sqlite>>::decode(value)?))
    }
}

impl Type<Postgres> for DbJson {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(JSONB)
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        matches!(ty.oid(), Some(JSONB | JSON)) || ty.name().eq_ignore_ascii_case("jsonb")
    }
}

impl Encode<'_, Postgres> for DbJson {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        buf.push(JSONB_VERSION);
        buf.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }
}

impl<'r> Decode<'r, Postgres> for DbJson {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let binary_jsonb =
            value.format() == PgValueFormat::Binary && value.type_info().oid() == Some(JSONB);
        let mut bytes = value.as_bytes()?;
        if binary_jsonb {
            match bytes.split_first() {
                Some((&JSONB_VERSION, rest)) => bytes = rest,
                _ => return Err("unsupported jsonb format version".into()),
            }
        }
        Ok(DbJson(std::str::from_utf8(bytes)?.to_owned()))
    }
}
