//! What a `Play` action asks the media layer to play: prompt files, tones and silence, and how a
//! number is spoken as a sequence of digit prompts.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// One item of a `Play` action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// A sound file under the prompts directory (already joined to it).
    File(PathBuf),
    /// A tone of one or more summed frequencies (`tone:440:1000`, `tone:350+440:2000`).
    Tone {
        /// Frequencies in Hz, summed.
        freqs: Vec<u32>,
        /// How long it plays.
        duration: Duration,
    },
    /// Silence (`silence:500`).
    Silence(Duration),
}

/// Why a prompt string cannot be played.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PromptError {
    Malformed(String),
    /// The name would leave the prompts directory (absolute or with `..`).
    Escapes(String),
}

impl PromptError {
    pub fn message(&self) -> String {
        match self {
            PromptError::Malformed(m) => m.clone(),
            PromptError::Escapes(p) => {
                format!("prompt `{p}` must be a relative path inside the prompts directory")
            }
        }
    }
}

/// Parses a rendered prompt string: a built-in (`tone:`, `silence:`) or a file name.
pub(crate) fn parse_prompt(s: &str, prompts_dir: &Path) -> Result<Prompt, PromptError> {
    if let Some(rest) = s.strip_prefix("tone:") {
        let bad = || PromptError::Malformed(format!("bad tone `{s}`: expected tone:HZ[+HZ]:MS"));
        let (freqs, ms) = rest.split_once(':').ok_or_else(bad)?;
        let freqs = freqs
            .split('+')
            .map(|f| f.parse::<u32>().ok().filter(|f| (1..=4000).contains(f)))
            .collect::<Option<Vec<u32>>>()
            .ok_or_else(bad)?;
        let ms: u64 = ms.parse().map_err(|_| bad())?;
        return Ok(Prompt::Tone {
            freqs,
            duration: Duration::from_millis(ms),
        });
    }
    if let Some(ms) = s.strip_prefix("silence:") {
        let ms: u64 = ms.parse().map_err(|_| {
            PromptError::Malformed(format!("bad silence `{s}`: expected silence:MS"))
        })?;
        return Ok(Prompt::Silence(Duration::from_millis(ms)));
    }
    let rel = Path::new(s);
    if s.is_empty() {
        return Err(PromptError::Malformed("empty prompt name".to_string()));
    }
    if !rel
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(PromptError::Escapes(s.to_string()));
    }
    Ok(Prompt::File(prompts_dir.join(rel)))
}

/// Prompt names (relative to `dir`) that speak `n` in English word order:
/// 1234 → 1, thousand, 2, hundred, 30, 4.
pub(crate) fn number_words(n: u64) -> Vec<String> {
    const SCALES: [(u64, &str); 3] = [
        (1_000_000_000, "billion"),
        (1_000_000, "million"),
        (1_000, "thousand"),
    ];
    if n == 0 {
        return vec!["0".to_string()];
    }
    let mut out = Vec::new();
    let mut rest = n;
    for (scale, name) in SCALES {
        if rest >= scale {
            out.extend(below_thousand(rest / scale));
            out.push(name.to_string());
            rest %= scale;
        }
    }
    out.extend(below_thousand(rest));
    out
}

fn below_thousand(n: u64) -> Vec<String> {
    let mut out = Vec::new();
    if n >= 1000 {
        // Only reached for values past the largest scale; speak them digit-group by group.
        out.extend(number_words(n));
        return out;
    }
    if n >= 100 {
        out.push((n / 100).to_string());
        out.push("hundred".to_string());
    }
    let tens = n % 100;
    if tens >= 20 {
        let unit = tens % 10;
        out.push((tens - unit).to_string());
        if unit > 0 {
            out.push(unit.to_string());
        }
    } else if tens > 0 {
        out.push(tens.to_string());
    }
    out
}

/// Every prompt name `number_words` may produce, for checking a prompts directory.
pub(crate) fn number_vocabulary() -> Vec<String> {
    let mut v: Vec<String> = (0..20).map(|n| n.to_string()).collect();
    v.extend((2..10).map(|n| (n * 10).to_string()));
    v.extend(["hundred", "thousand", "million", "billion"].map(String::from));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_and_files() {
        let dir = Path::new("/p");
        assert_eq!(
            parse_prompt("tone:350+440:1000", dir),
            Ok(Prompt::Tone {
                freqs: vec![350, 440],
                duration: Duration::from_millis(1000)
            })
        );
        assert_eq!(
            parse_prompt("silence:500", dir),
            Ok(Prompt::Silence(Duration::from_millis(500)))
        );
        assert_eq!(
            parse_prompt("en/welcome.wav", dir),
            Ok(Prompt::File(PathBuf::from("/p/en/welcome.wav")))
        );
        assert!(parse_prompt("tone:abc:10", dir).is_err());
        assert!(parse_prompt("tone:440", dir).is_err());
        assert!(parse_prompt("silence:x", dir).is_err());
        assert!(matches!(
            parse_prompt("../etc/passwd", dir),
            Err(PromptError::Escapes(_))
        ));
        assert!(matches!(
            parse_prompt("/etc/passwd", dir),
            Err(PromptError::Escapes(_))
        ));
    }

    #[test]
    fn numbers_in_words() {
        assert_eq!(number_words(0), ["0"]);
        assert_eq!(number_words(15), ["15"]);
        assert_eq!(number_words(40), ["40"]);
        assert_eq!(
            number_words(1234),
            ["1", "thousand", "2", "hundred", "30", "4"]
        );
        assert_eq!(number_words(2_000_005), ["2", "million", "5"]);
        let vocab = number_vocabulary();
        for n in [0, 7, 19, 99, 101, 999_999, 1_234_567_890] {
            assert!(number_words(n).iter().all(|w| vocab.contains(w)), "{n}");
        }
    }
}
