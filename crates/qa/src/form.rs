//! Evaluation forms and their score, one computation for the API and the page (the page shows
//! what the API returns for the same JSON).
//!
//! A question's share is its weight over the weights of the questions that apply: yes earns the
//! weight, no nothing, a scale answer `v` of `1..=k` earns `(v - 1) / (k - 1)` of it; N/A drops
//! the question from the denominator. A critical question answered no fails the evaluation: the
//! total is 0 and the score names the question. A question that allows N/A may be left
//! unanswered (read as N/A); any other is required.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// A versioned evaluation form; a review keeps the `(id, version)` it was made with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Form {
    pub id: String,
    pub version: u32,
    pub name: String,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub title: String,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// Unique in the form; answers name it.
    pub id: String,
    pub text: String,
    /// Relative weight, at least 1.
    pub weight: u32,
    pub kind: AnswerKind,
    #[serde(default)]
    pub allow_na: bool,
    /// Answered no, it fails the whole evaluation (yes/no questions only).
    #[serde(default)]
    pub critical: bool,
}

/// What a question accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AnswerKind {
    YesNo,
    /// `1..=max`, 1 the worst.
    Scale {
        max: u8,
    },
}

/// One answer: `"yes"`, `"no"`, `"na"` or `{"scale": 4}` in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
    Scale(u8),
    #[serde(rename = "na")]
    NotApplicable,
}

/// A form's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub form: String,
    pub version: u32,
    /// 0..=100, two decimals; 0 when a critical question failed.
    pub total: f64,
    /// The critical questions answered no (empty when none failed).
    pub critical_failed: Vec<String>,
    pub sections: Vec<SectionScore>,
}

/// A section's own percentage before any critical failure (`None`: nothing in it applied).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionScore {
    pub title: String,
    pub percent: Option<f64>,
}

/// Why a set of answers cannot be scored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScoreError {
    #[error("question {0} is not in the form")]
    UnknownQuestion(String),
    #[error("question {0} needs an answer")]
    Missing(String),
    #[error("question {question}: {value} is outside the scale 1..={max}")]
    OutsideScale {
        question: String,
        value: u8,
        max: u8,
    },
    #[error("question {0} does not allow N/A")]
    NotApplicableRefused(String),
    #[error("question {0} takes a {1} answer")]
    WrongKind(String, &'static str),
    #[error("no question applies: every answer is N/A")]
    NothingApplies,
    #[error(transparent)]
    Form(#[from] FormError),
}

/// Why a form is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormError {
    #[error("the form has no questions")]
    Empty,
    #[error("question id {0} is used twice")]
    DuplicateQuestion(String),
    #[error("question {0} has weight 0")]
    ZeroWeight(String),
    #[error("question {question}: a scale needs 2..=10 points, not {max}")]
    ScaleSize { question: String, max: u8 },
    #[error("question {0} is critical but not yes/no")]
    CriticalScale(String),
    #[error("a question has an empty id")]
    EmptyId,
}

impl Form {
    /// Checks the form can be scored; done when it is saved, and again by [`score`].
    pub fn validate(&self) -> Result<(), FormError> {
        let mut ids = BTreeSet::new();
        for q in self.questions() {
            if q.id.is_empty() {
                return Err(FormError::EmptyId);
            }
            if !ids.insert(q.id.as_str()) {
                return Err(FormError::DuplicateQuestion(q.id.clone()));
            }
            if q.weight == 0 {
                return Err(FormError::ZeroWeight(q.id.clone()));
            }
            match q.kind {
                AnswerKind::Scale { max } if !(2..=10).contains(&max) => {
                    return Err(FormError::ScaleSize {
                        question: q.id.clone(),
                        max,
                    })
                }
                AnswerKind::Scale { .. } if q.critical => {
                    return Err(FormError::CriticalScale(q.id.clone()))
                }
                _ => {}
            }
        }
        if ids.is_empty() {
            return Err(FormError::Empty);
        }
        Ok(())
    }

    fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }
}

/// Scores `answers` (question id → answer) on `form`.
pub fn score(form: &Form, answers: &BTreeMap<String, Answer>) -> Result<Score, ScoreError> {
    form.validate()?;
    if let Some(unknown) = answers
        .keys()
        .find(|id| !form.questions().any(|q| &q.id == *id))
    {
        return Err(ScoreError::UnknownQuestion(unknown.clone()));
    }
    let mut critical_failed = Vec::new();
    let mut sections = Vec::new();
    // Earned and possible in weight units, summed over the form.
    let (mut earned, mut possible) = (0.0_f64, 0_u64);
    for section in &form.sections {
        let (mut s_earned, mut s_possible) = (0.0_f64, 0_u64);
        for q in &section.questions {
            let Some(share) = share(q, answers.get(&q.id))? else {
                continue;
            };
            if q.critical && share == 0.0 {
                critical_failed.push(q.id.clone());
            }
            s_earned += share * f64::from(q.weight);
            s_possible += u64::from(q.weight);
        }
        sections.push(SectionScore {
            title: section.title.clone(),
            percent: percent(s_earned, s_possible),
        });
        earned += s_earned;
        possible += s_possible;
    }
    let total = percent(earned, possible).ok_or(ScoreError::NothingApplies)?;
    Ok(Score {
        form: form.id.clone(),
        version: form.version,
        total: if critical_failed.is_empty() {
            total
        } else {
            0.0
        },
        critical_failed,
        sections,
    })
}

/// The fraction of its weight a question earns; `None` when it does not apply.
fn share(q: &Question, answer: Option<&Answer>) -> Result<Option<f64>, ScoreError> {
    let answer = match answer {
        Some(a) => *a,
        None if q.allow_na => return Ok(None),
        None => return Err(ScoreError::Missing(q.id.clone())),
    };
    match (q.kind, answer) {
        (_, Answer::NotApplicable) if q.allow_na => Ok(None),
        (_, Answer::NotApplicable) => Err(ScoreError::NotApplicableRefused(q.id.clone())),
        (AnswerKind::YesNo, Answer::Yes) => Ok(Some(1.0)),
        (AnswerKind::YesNo, Answer::No) => Ok(Some(0.0)),
        (AnswerKind::YesNo, Answer::Scale(_)) => Err(ScoreError::WrongKind(q.id.clone(), "yes/no")),
        (AnswerKind::Scale { max }, Answer::Scale(v)) => {
            if v == 0 || v > max {
                return Err(ScoreError::OutsideScale {
                    question: q.id.clone(),
                    value: v,
                    max,
                });
            }
            Ok(Some(f64::from(v - 1) / f64::from(max - 1)))
        }
        (AnswerKind::Scale { .. }, _) => Err(ScoreError::WrongKind(q.id.clone(), "scale")),
    }
}

/// `earned / possible` as a percentage with two decimals; `None` when nothing applied.
fn percent(earned: f64, possible: u64) -> Option<f64> {
    if possible == 0 {
        return None;
    }
    // Weights are small integers: the quotient is exact enough for two decimals.
    #[allow(clippy::cast_precision_loss)]
    let raw = earned * 100.0 / possible as f64;
    Some((raw * 100.0).round() / 100.0)
}

#[cfg(test)]
#[path = "form_tests.rs"]
mod tests;
