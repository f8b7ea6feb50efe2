//! `${name}` interpolation in dialplan strings, rendered against a call's variables.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Var(String),
}

/// A string with `${var}` references, parsed once at load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    /// Parses a template; fails on an unclosed `${` or an empty or malformed name.
    pub fn parse(s: &str) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut rest = s;
        while let Some((text, after)) = rest.split_once("${") {
            if !text.is_empty() {
                pieces.push(Piece::Text(text.to_string()));
            }
            let (name, tail) = after
                .split_once('}')
                .ok_or_else(|| format!("unclosed `${{` in `{s}`"))?;
            if !is_var_name(name) {
                return Err(format!(
                    "bad variable name `{name}` in `{s}`: use letters, digits, `_` and `.`"
                ));
            }
            pieces.push(Piece::Var(name.to_string()));
            rest = tail;
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_string()));
        }
        Ok(Template { pieces })
    }

    /// Substitutes variables; an unset variable renders empty.
    pub fn render(&self, vars: &BTreeMap<String, String>) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(v) => out.push_str(vars.get(v).map_or("", String::as_str)),
            }
        }
        out
    }

    /// The names this template reads.
    pub fn var_names(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Var(v) => Some(v.as_str()),
            Piece::Text(_) => None,
        })
    }
}

pub(crate) fn is_var_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_known_and_unknown_vars() {
        let t = Template::parse("${lang}/hello-${customer.name}!${missing}").unwrap();
        let mut vars = BTreeMap::new();
        vars.insert("lang".to_string(), "ko".to_string());
        vars.insert("customer.name".to_string(), "Kim".to_string());
        assert_eq!(t.render(&vars), "ko/hello-Kim!");
        assert_eq!(
            t.var_names().collect::<Vec<_>>(),
            ["lang", "customer.name", "missing"]
        );
    }

    #[test]
    fn rejects_malformed() {
        assert!(Template::parse("${open").is_err());
        assert!(Template::parse("${}").is_err());
        assert!(Template::parse("${a b}").is_err());
    }
}
