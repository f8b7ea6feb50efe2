//! Diagnostics from loading dialplan files: where (file:line:column), how bad, and what.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// How serious a diagnostic is. Any `Error` refuses the whole load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Suspicious but harmless (e.g. an unreachable step); the plans still load.
    Warning,
    /// The plans cannot be used; the caller keeps whatever it had before.
    Error,
}

/// One finding in one dialplan file, pointing at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file the finding is in.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong, for a human.
    pub message: String,
}

impl Diagnostic {
    /// True for findings that refuse the load.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file.display(),
            self.line,
            self.column,
            level,
            self.message
        )
    }
}

/// Turns byte offsets of one file's text into diagnostics.
pub(crate) struct SourceFile<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl SourceFile<'_> {
    /// 1-based (line, column) of a byte offset; offsets past the end clamp to the end.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        // The last character boundary at or before `offset` (0 is always one).
        let boundary = (0..=offset)
            .rev()
            .find(|&i| self.text.is_char_boundary(i))
            .unwrap_or(0);
        let before = self.text.get(..boundary).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).unwrap_or_default().chars().count() + 1;
        (line, column)
    }

    pub fn diag(&self, span: &Range<usize>, severity: Severity, message: String) -> Diagnostic {
        let (line, column) = self.position(span.start);
        Diagnostic {
            file: self.path.to_path_buf(),
            line,
            column,
            severity,
            message,
        }
    }

    pub fn error(&self, span: &Range<usize>, message: impl Into<String>) -> Diagnostic {
        self.diag(span, Severity::Error, message.into())
    }

    pub fn warning(&self, span: &Range<usize>, message: impl Into<String>) -> Diagnostic {
        self.diag(span, Severity::Warning, message.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let src = SourceFile {
            path: Path::new("a.toml"),
            text: "ab\n한글x\n",
        };
        assert_eq!(src.position(0), (1, 1));
        assert_eq!(src.position(3), (2, 1));
        // "한글" is 6 bytes; 'x' is the third character on line 2.
        assert_eq!(src.position(9), (2, 3));
        assert_eq!(src.position(1000), (3, 1));
    }
}
