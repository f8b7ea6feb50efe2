//! CSV for the report tables: RFC 4180 (fields with a comma, quote, CR or LF are quoted, quotes
//! doubled, lines end with CRLF) and safe to open in a spreadsheet: a cell starting with `=`,
//! `+`, `-`, `@`, a tab or a CR is prefixed with `'` so it is read as text, not as a formula
//! (queue, agent and pause-reason names are typed by people).

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// A CSV document being written, one row at a time.
#[derive(Debug, Default)]
pub struct Csv {
    out: String,
}

impl Csv {
    pub fn new() -> Self {
        Csv::default()
    }

    /// Appends one row.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            push_cell(&mut self.out, cell.as_ref());
        }
        self.out.push_str("\r\n");
    }

    #[cfg(test)]
    pub fn into_string(self) -> String {
        self.out
    }

    /// A download named `filename` (ASCII, no quotes: chosen by the caller, not the user).
    pub fn into_response(self, filename: &'static str) -> Response {
        let mut r = self.out.into_response();
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
        );
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        r
    }
}

fn push_cell(out: &mut String, cell: &str) {
    let neutralise = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote =
        neutralise && cell.starts_with(['\t', '\r']) || cell.contains([',', '"', '\r', '\n']);
    if quote {
        out.push('"');
    }
    if neutralise {
        out.push('\'');
    }
    for c in cell.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

/// A number for a CSV cell: integers without a decimal point, others with up to 6 decimals;
/// an absent value is an empty cell.
pub fn number(v: Option<f64>) -> String {
    match v {
        None => String::new(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", v as i64),
        Some(v) => {
            let s = format!("{v:.6}");
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(cells: &[&str]) -> String {
        let mut c = Csv::new();
        c.row(cells);
        c.into_string()
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(line(&["=1+2"]), "'=1+2\r\n");
        assert_eq!(line(&["+33"]), "'+33\r\n");
        assert_eq!(line(&["-2"]), "'-2\r\n");
        assert_eq!(line(&["@SUM(A1)"]), "'@SUM(A1)\r\n");
        assert_eq!(line(&["\tcmd"]), "\"'\tcmd\"\r\n");
        assert_eq!(line(&["\rcmd"]), "\"'\rcmd\"\r\n");
        // Only at the start.
        assert_eq!(line(&["a=b", "1-2"]), "a=b,1-2\r\n");
        assert_eq!(
            line(&["=HYPERLINK(\"http://x\",\"y\")"]),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n"
        );
    }

    #[test]
    fn rfc_4180_quoting() {
        assert_eq!(line(&["a", "b c", ""]), "a,b c,\r\n");
        assert_eq!(line(&["a,b"]), "\"a,b\"\r\n");
        assert_eq!(line(&["say \"hi\""]), "\"say \"\"hi\"\"\"\r\n");
        assert_eq!(line(&["two\nlines"]), "\"two\nlines\"\r\n");
        assert_eq!(line(&["서울"]), "서울\r\n");
    }

    #[test]
    fn numbers() {
        assert_eq!(number(None), "");
        assert_eq!(number(Some(3.0)), "3");
        assert_eq!(number(Some(0.5)), "0.5");
        assert_eq!(number(Some(2.0 / 3.0)), "0.666667");
    }
}
