//! A small RFC 4180 reader for customer imports: comma-separated fields, `"`-quoted fields that
//! may hold commas, doubled quotes and line breaks, LF or CRLF line ends. Each record carries the
//! line it starts on, so import errors point at the line a person sees in their editor. A
//! malformed record is reported and skipped; reading resumes on the next line.

/// One record (row) and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub line: u64,
    pub fields: Vec<String>,
}

/// A record that could not be read, with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadRecord {
    pub line: u64,
    pub message: String,
}

/// Iterates over the records of a whole CSV text. Blank lines are skipped.
pub(crate) struct Records<'a> {
    text: &'a str,
    pos: usize,
    line: u64,
}

impl<'a> Records<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        // Spreadsheet programs often prefix UTF-8 exports with a byte order mark.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Self {
            text,
            pos: 0,
            line: 1,
        }
    }

    /// Moves past the next line break (or to the end), counting it.
    fn skip_line(&mut self) {
        match self.text[self.pos..].find('\n') {
            Some(i) => {
                self.pos += i + 1;
                self.line += 1;
            }
            None => self.pos = self.text.len(),
        }
    }

    /// Reads one quoted field starting at the opening quote; leaves `pos` after the closing one.
    fn quoted(&mut self, start_line: u64) -> Result<String, BadRecord> {
        let bytes = self.text.as_bytes();
        let mut out = String::new();
        let mut i = self.pos + 1;
        let mut chunk = i;
        loop {
            match bytes.get(i) {
                None => {
                    self.pos = self.text.len();
                    return Err(BadRecord {
                        line: start_line,
                        message: "unterminated quoted field (a \" is missing)".into(),
                    });
                }
                Some(b'"') if bytes.get(i + 1) == Some(&b'"') => {
                    out.push_str(&self.text[chunk..=i]);
                    i += 2;
                    chunk = i;
                }
                Some(b'"') => {
                    out.push_str(&self.text[chunk..i]);
                    self.pos = i + 1;
                    return Ok(out);
                }
                Some(b'\n') => {
                    self.line += 1;
                    i += 1;
                }
                Some(_) => i += 1,
            }
        }
    }

    fn record(&mut self) -> Result<Record, BadRecord> {
        let line = self.line;
        let bytes = self.text.as_bytes();
        let mut fields = Vec::new();
        loop {
            let field = if bytes.get(self.pos) == Some(&b'"') {
                let f = self.quoted(line)?;
                let crlf = bytes.get(self.pos..self.pos + 2) == Some(b"\r\n");
                if !(crlf || matches!(bytes.get(self.pos), None | Some(b',' | b'\n'))) {
                    self.skip_line();
                    return Err(BadRecord {
                        line,
                        message: format!(
                            "unexpected text after the closing quote of field {}",
                            fields.len() + 1
                        ),
                    });
                }
                f
            } else {
                let rest = &self.text[self.pos..];
                let end = rest.find([',', '\n']).unwrap_or(rest.len());
                self.pos += end;
                rest[..end]
                    .strip_suffix('\r')
                    .unwrap_or(&rest[..end])
                    .to_owned()
            };
            fields.push(field);
            if bytes.get(self.pos) == Some(&b'\r') && bytes.get(self.pos + 1) == Some(&b'\n') {
                self.pos += 1;
            }
            match bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    return Ok(Record { line, fields });
                }
                _ => {
                    self.pos = self.text.len();
                    return Ok(Record { line, fields });
                }
            }
        }
    }
}

impl Iterator for Records<'_> {
    type Item = Result<Record, BadRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.pos >= self.text.len() {
                return None;
            }
            let r = self.record();
            match &r {
                Ok(rec) if rec.fields.len() == 1 && rec.fields[0].trim().is_empty() => continue,
                _ => return Some(r),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Read = Result<(u64, Vec<String>), (u64, String)>;

    fn read(text: &str) -> Vec<Read> {
        Records::new(text)
            .map(|r| match r {
                Ok(rec) => Ok((rec.line, rec.fields)),
                Err(bad) => Err((bad.line, bad.message)),
            })
            .collect()
    }

    fn ok(line: u64, fields: &[&str]) -> Read {
        Ok((line, fields.iter().map(|f| (*f).to_owned()).collect()))
    }

    #[test]
    fn plain_and_quoted_fields_with_line_numbers() {
        let text = "\u{feff}name,phones\r\nKim,010\r\n\"Lee, Ji\",\"a \"\"b\"\"\"\n\n\"multi\nline\",x\nlast,";
        assert_eq!(
            read(text),
            vec![
                ok(1, &["name", "phones"]),
                ok(2, &["Kim", "010"]),
                ok(3, &["Lee, Ji", "a \"b\""]),
                ok(5, &["multi\nline", "x"]),
                ok(7, &["last", ""]),
            ]
        );
    }

    #[test]
    fn malformed_records_are_reported_and_skipped() {
        let text = "a,\"b\"junk,c\nok,1\n\"open,2\nnever closed";
        let got = read(text);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(matches!(&got[0], Err((1, m)) if m.contains("after the closing quote of field 2")));
        assert_eq!(got[1], ok(2, &["ok", "1"]));
        assert!(matches!(&got[2], Err((3, m)) if m.contains("unterminated")));
    }

    #[test]
    fn unicode_passes_through_unchanged() {
        assert_eq!(
            read("김민준,\"Zoë 📞\"\n"),
            vec![ok(1, &["김민준", "Zoë 📞"])]
        );
    }
}
