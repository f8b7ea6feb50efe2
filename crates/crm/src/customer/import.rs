//! CSV import of customers. The header row names the columns (any order, case-insensitive):
//! `name` and `phones` are required; `grade`, `segment`, `preferred_language`, `notes` are
//! optional. `phones` holds `;`-separated numbers, each optionally prefixed with a label
//! (`work:02-555-0100`). Cells are trimmed.
//!
//! A row whose number already belongs to a customer updates that customer: non-blank cells
//! replace stored values and new numbers are added. Other rows create customers. Bad rows are
//! reported by line and skipped; good rows are written in transactions of [`BATCH_ROWS`], each
//! row under a savepoint so a row the database refuses does not undo its neighbours.

use std::io::Read;

use chrono::{DateTime, Utc};

use crate::customer::conn::CustomerConn;
use crate::customer::csv::{Record, Records};
use crate::customer::store::{upsert_by_phones, Upsert};
use crate::customer::{normalize_phones, CustomerFields, FieldsPatch};
use crate::db::in_transaction;
use crate::{
    phone, Crm, CrmError, CustomerPatch, CustomerPhone, NewCustomer, NewPhone, PhoneLabel,
};

/// Rows written per transaction.
pub const BATCH_ROWS: usize = 500;

/// Row problems an import report lists; the rest are only counted (a 10 MiB file of bad rows
/// would otherwise answer with a list as large as the file).
pub const MAX_REPORTED_ERRORS: usize = 100;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub created: u64,
    pub updated: u64,
    /// `(line, message)` for the first [`MAX_REPORTED_ERRORS`] rows not imported, in line
    /// order; lines are 1-based and count the header, as an editor shows them.
    pub errors: Vec<(u64, String)>,
    /// Every row not imported, listed or not.
    pub error_count: u64,
}

impl ImportReport {
    /// Counts a row problem, keeping only the first [`MAX_REPORTED_ERRORS`] by line (problems
    /// arrive slightly out of order: database ones after a batch's parse ones).
    fn add_error(&mut self, line: u64, message: String) {
        self.error_count += 1;
        self.errors.push((line, message));
        if self.errors.len() >= 2 * MAX_REPORTED_ERRORS {
            self.keep_first_errors();
        }
    }

    fn keep_first_errors(&mut self) {
        self.errors.sort_by_key(|(line, _)| *line);
        self.errors.truncate(MAX_REPORTED_ERRORS);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Phones,
    Grade,
    Segment,
    Language,
    Notes,
}

const COLUMNS: [(&str, Column); 6] = [
    ("name", Column::Name),
    ("phones", Column::Phones),
    ("grade", Column::Grade),
    ("segment", Column::Segment),
    ("preferred_language", Column::Language),
    ("notes", Column::Notes),
];

/// The header row: which column each field position holds.
struct Header(Vec<Column>);

impl Header {
    fn parse(rec: &Record) -> Result<Self, CrmError> {
        let bad = |msg: String| CrmError::CsvImport(format!("line {}: {msg}", rec.line));
        let mut cols = Vec::with_capacity(rec.fields.len());
        for f in &rec.fields {
            let name = f.trim().to_lowercase();
            let Some(&(_, col)) = COLUMNS.iter().find(|(n, _)| *n == name) else {
                let known: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
                return Err(bad(format!(
                    "unknown column {name:?} in the header row; expected {}",
                    known.join(", ")
                )));
            };
            if cols.contains(&col) {
                return Err(bad(format!(
                    "column {name:?} appears twice in the header row"
                )));
            }
            cols.push(col);
        }
        for required in [Column::Name, Column::Phones] {
            if !cols.contains(&required) {
                return Err(bad(
                    "the header row must name the columns, with at least name and phones".into(),
                ));
            }
        }
        Ok(Self(cols))
    }

    fn cell<'r>(&self, rec: &'r Record, col: Column) -> &'r str {
        self.0
            .iter()
            .position(|c| *c == col)
            .and_then(|i| rec.fields.get(i))
            .map_or("", |s| s.trim())
    }

    /// Validates a data row into what the database needs, or the message for the report.
    fn row(&self, rec: &Record, default_cc: &str) -> Result<ImportRow, String> {
        if rec.fields.len() != self.0.len() {
            return Err(format!(
                "expected {} fields like the header, found {}",
                self.0.len(),
                rec.fields.len()
            ));
        }
        let given = |col| Some(self.cell(rec, col)).filter(|s| !s.is_empty());
        let phones = self
            .cell(rec, Column::Phones)
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(labelled_phone)
            .collect::<Vec<_>>();
        let new = NewCustomer {
            name: self.cell(rec, Column::Name).to_owned(),
            grade: given(Column::Grade).map(str::to_owned),
            segment: given(Column::Segment).map(str::to_owned),
            preferred_language: given(Column::Language).map(str::to_owned),
            notes: self.cell(rec, Column::Notes).to_owned(),
            phones: Vec::new(),
        };
        let patch = CustomerPatch {
            name: Some(new.name.clone()),
            grade: new.grade.clone(),
            segment: new.segment.clone().map(Some),
            preferred_language: new.preferred_language.clone().map(Some),
            notes: given(Column::Notes).map(str::to_owned),
            phones: None,
        };
        let checked = || -> Result<ImportRow, CrmError> {
            Ok(ImportRow {
                line: rec.line,
                fields: new.validate()?,
                patch: patch.validate()?,
                phones: normalize_phones(&phones, default_cc)?,
            })
        };
        checked().map_err(|e| e.to_string())
    }
}

/// `work:02-555-0100` → labelled number; a prefix that is not a label (`tel:`) stays part of
/// the number.
fn labelled_phone(cell: &str) -> NewPhone {
    if let Some((prefix, rest)) = cell.split_once(':') {
        if let Some(label) = PhoneLabel::parse(prefix.trim()) {
            return NewPhone::new(rest.trim(), label);
        }
    }
    NewPhone::new(cell, PhoneLabel::default())
}

/// A data row ready to write: the fields for a new customer and the patch for an existing one.
struct ImportRow {
    line: u64,
    fields: CustomerFields,
    patch: FieldsPatch,
    phones: Vec<CustomerPhone>,
}

impl Crm {
    /// Imports customers from CSV. The header row names the columns: `name` and `phones`
    /// (`;`-separated, each optionally `label:number`) are required; `grade`, `segment`,
    /// `preferred_language` and `notes` are optional. A row with a number that already belongs
    /// to a customer updates that customer (non-blank cells replace stored values, new numbers
    /// are added); other rows create customers. Rows are written [`BATCH_ROWS`] to a
    /// transaction. `default_country_code` normalizes national numbers in this file
    /// (`""` for none). Fails as a whole only for unreadable input, a bad header row, or a
    /// database failure; row problems are listed in [`ImportReport::errors`].
    pub async fn import_customers_csv(
        &self,
        mut reader: impl Read,
        default_country_code: &str,
        now: DateTime<Utc>,
    ) -> Result<ImportReport, CrmError> {
        let cc = match default_country_code.trim() {
            "" => "",
            cc => phone::country_code(cc)?,
        };
        let mut text = String::new();
        reader
            .read_to_string(&mut text)
            .map_err(|e| CrmError::CsvImport(format!("cannot read the input as UTF-8: {e}")))?;
        let mut records = Records::new(&text);
        let header = match records.next() {
            None => {
                return Err(CrmError::CsvImport(
                    "the input is empty; a header row is required".into(),
                ))
            }
            Some(Err(bad)) => {
                return Err(CrmError::CsvImport(format!(
                    "line {}: {}",
                    bad.line, bad.message
                )))
            }
            Some(Ok(rec)) => Header::parse(&rec)?,
        };

        let mut report = ImportReport::default();
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        for rec in records {
            let row = rec
                .map_err(|bad| (bad.line, bad.message))
                .and_then(|rec| header.row(&rec, cc).map_err(|m| (rec.line, m)));
            match row {
                Ok(row) => batch.push(row),
                Err((line, message)) => report.add_error(line, message),
            }
            if batch.len() == BATCH_ROWS {
                self.import_batch(&batch, now, &mut report).await?;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            self.import_batch(&batch, now, &mut report).await?;
        }
        report.keep_first_errors();
        Ok(report)
    }

    async fn import_batch(
        &self,
        batch: &[ImportRow],
        now: DateTime<Utc>,
        report: &mut ImportReport,
    ) -> Result<(), CrmError> {
        let outcome = in_transaction!(immediate self, |conn| import_rows(conn, batch, now).await?);
        for (line, result) in outcome {
            match result {
                Ok(Upsert::Created) => report.created += 1,
                Ok(Upsert::Updated) => report.updated += 1,
                Err(message) => report.add_error(line, message),
            }
        }
        Ok(())
    }
}

/// Each row under its own savepoint; returns every row's outcome, committed by the caller.
async fn import_rows(
    conn: &mut impl CustomerConn,
    batch: &[ImportRow],
    now: DateTime<Utc>,
) -> Result<Vec<(u64, Result<Upsert, String>)>, CrmError> {
    let mut out = Vec::with_capacity(batch.len());
    for row in batch {
        conn.run("SAVEPOINT import_row").await?;
        match upsert_by_phones(conn, &row.fields, &row.patch, &row.phones, now).await {
            Ok(done) => out.push((row.line, Ok(done))),
            Err(e) => {
                conn.run("ROLLBACK TO SAVEPOINT import_row").await?;
                out.push((row.line, Err(e.to_string())));
            }
        }
        conn.run("RELEASE SAVEPOINT import_row").await?;
    }
    Ok(out)
}
