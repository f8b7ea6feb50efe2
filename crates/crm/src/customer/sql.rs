//! The SQL of the customer repository, written once (`$N` parameters work on SQLite and
//! PostgreSQL alike; times bind as [`crate::db::DbTime`]).

/// The columns every customer read returns: one row per phone, `p.*` NULL for a customer with
/// no numbers.
macro_rules! customer_columns {
    () => {
        "c.id, c.name, c.grade, c.segment, c.preferred_language, c.notes, c.created_at,
         c.updated_at, p.number, p.label"
    };
}

pub(crate) const SELECT_BY_ID: &str = concat!(
    "SELECT ",
    customer_columns!(),
    " FROM customers c LEFT JOIN customer_phones p ON p.customer_id = c.id
     WHERE c.id = $1 ORDER BY p.position"
);

/// The IVR lookup: one statement, found through the primary key on `customer_phones.number`,
/// returning the customer with all their numbers.
pub(crate) const SELECT_BY_NUMBER: &str = concat!(
    "SELECT ",
    customer_columns!(),
    " FROM customer_phones hit
     JOIN customers c ON c.id = hit.customer_id
     JOIN customer_phones p ON p.customer_id = c.id
     WHERE hit.number = $1 ORDER BY p.position"
);

/// `$1` grade or NULL, `$2` folded-name LIKE pattern or NULL, `$3` number LIKE pattern or
/// NULL, `$4` limit, `$5` offset. The page of ids is chosen first so LIMIT counts customers,
/// not phone rows.
pub(crate) const SEARCH: &str = concat!(
    "SELECT ",
    customer_columns!(),
    " FROM (
        SELECT s.id, s.name_folded FROM customers s
        WHERE ($1 IS NULL OR s.grade = $1)
          AND (($2 IS NULL AND $3 IS NULL)
               OR s.name_folded LIKE $2 ESCAPE '\\'
               OR EXISTS (SELECT 1 FROM customer_phones q
                          WHERE q.customer_id = s.id AND q.number LIKE $3 ESCAPE '\\'))
        ORDER BY s.name_folded, s.id LIMIT $4 OFFSET $5
     ) page
     JOIN customers c ON c.id = page.id
     LEFT JOIN customer_phones p ON p.customer_id = c.id
     ORDER BY page.name_folded, page.id, p.position"
);

/// `$7` is both timestamps: a new customer was last updated when it was created.
pub(crate) const INSERT_CUSTOMER: &str =
    "INSERT INTO customers (name, name_folded, grade, segment, preferred_language, notes,
                            created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id";

/// A partial update in one statement, so concurrent patches of different fields both land.
/// `$5`/`$7` say whether the optional fields are being set (possibly to NULL).
pub(crate) const PATCH_CUSTOMER: &str = "UPDATE customers SET
        name = COALESCE($2, name), name_folded = COALESCE($3, name_folded),
        grade = COALESCE($4, grade),
        segment = CASE WHEN $5 THEN $6 ELSE segment END,
        preferred_language = CASE WHEN $7 THEN $8 ELSE preferred_language END,
        notes = COALESCE($9, notes), updated_at = $10
     WHERE id = $1";

pub(crate) const DELETE_PHONES: &str = "DELETE FROM customer_phones WHERE customer_id = $1";
pub(crate) const INSERT_PHONE: &str =
    "INSERT INTO customer_phones (number, customer_id, label, position) VALUES ($1, $2, $3, $4)";
pub(crate) const PHONE_OWNER: &str = "SELECT customer_id FROM customer_phones WHERE number = $1";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;
    use crate::{Crm, CrmError};
    use sqlx::Row;

    /// The IVR lookup must stay an index search: a table scan here would grow every inbound
    /// call's setup time with the customer base.
    #[tokio::test]
    async fn lookup_by_number_uses_indexes_only() -> Result<(), CrmError> {
        let crm = Crm::connect("sqlite::memory:").await?;
        let Db::Sqlite(pool) = &crm.db else {
            unreachable!("connected to SQLite")
        };
        let plan: Vec<String> = sqlx::query(&format!("EXPLAIN QUERY PLAN {SELECT_BY_NUMBER}"))
            .bind("+821012345678")
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("detail"))
            .collect::<Result<_, _>>()?;
        assert_eq!(plan.len(), 3, "{plan:?}");
        assert!(
            plan.iter()
                .all(|step| step.starts_with("SEARCH") && !step.contains("SCAN")),
            "{plan:?}"
        );
        assert!(
            plan.iter()
                .any(|s| s.contains("hit USING INDEX sqlite_autoindex_customer_phones_1")),
            "{plan:?}"
        );
        Ok(())
    }
}
