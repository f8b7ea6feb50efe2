//! Charts drawn on the server as SVG: grouped or stacked bars and lines over categories (time
//! buckets, weekdays, agents...), an optional target line, axis labels, a legend and a title.
//! Hand-written SVG (a few hundred lines) rather than a plotting crate: the pages need only bars
//! and lines, and the output stays small and predictable for tests.
//!
//! Printed in black and white a chart must still read: every bar series has its own fill
//! pattern (solid, hatched, dotted, cross-hatched...) as well as a colour, every line its own
//! dash and marker, the target line is labelled in words, and each bar and point carries a
//! `<title>` with its series, category and value. The root is `role="img"` with a `<title>` and
//! a `<desc>` for screen readers. All text is escaped.
//!
//! Drive it by building a [`Chart`] and calling [`Chart::to_svg`]; nothing here does I/O.

use std::fmt::Write;

/// How bar series share a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarLayout {
    /// Side by side.
    Grouped,
    /// On top of each other (values add up).
    Stacked,
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesKind {
    Bar,
    Line,
}

/// How values are written on the axis and in tooltips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueFormat {
    /// Whole numbers (calls, agents).
    Count,
    /// 0..1 written as a percentage.
    Ratio,
    /// Seconds, one decimal.
    Seconds,
    /// Hours, one decimal.
    Hours,
}

impl ValueFormat {
    fn write(self, v: f64) -> String {
        match self {
            ValueFormat::Count => format!("{}", v.round() as i64),
            ValueFormat::Ratio => format!("{:.1} %", v * 100.0),
            ValueFormat::Seconds => format!("{v:.1} s"),
            ValueFormat::Hours => format!("{v:.1} h"),
        }
    }

    /// Axis ticks: shorter than tooltips.
    fn tick(self, v: f64) -> String {
        match self {
            ValueFormat::Ratio => format!("{} %", (v * 100.0).round() as i64),
            ValueFormat::Seconds if v.fract() == 0.0 => format!("{v} s"),
            _ => {
                if v.fract() == 0.0 {
                    format!("{}", v as i64)
                } else {
                    format!("{v:.1}")
                }
            }
        }
    }
}

/// One named set of values, one per category (`None`: no value there, drawn as a gap).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub kind: SeriesKind,
    pub values: Vec<Option<f64>>,
}

impl Series {
    pub fn bars(name: impl Into<String>, values: Vec<Option<f64>>) -> Self {
        Series {
            name: name.into(),
            kind: SeriesKind::Bar,
            values,
        }
    }

    pub fn line(name: impl Into<String>, values: Vec<Option<f64>>) -> Self {
        Series {
            name: name.into(),
            kind: SeriesKind::Line,
            values,
        }
    }
}

/// A horizontal reference line (a service-level target, required agents...).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub value: f64,
    /// Written next to the line and in the legend (for example "target 80 %").
    pub label: String,
}

/// A chart: categories along x, series of values along y.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    pub layout: BarLayout,
    pub format: ValueFormat,
    pub target: Option<Target>,
    /// Text shown instead of the plot when there is nothing to draw.
    pub empty_text: String,
    /// Prefix of the ids of the SVG's `<title>` and `<desc>`: give each chart inlined in one
    /// page its own (ids must be unique in a document); `<img>` pages can keep the default.
    pub id: String,
}

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 380.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
/// Room for the x labels, the x-axis title and the legend.
const BOTTOM: f64 = 110.0;
const TICKS: usize = 5;

/// Colours (distinct also for colour-blind readers) paired with patterns, so that neither is
/// needed alone.
const COLOURS: [&str; 6] = [
    "#1f5fa8", "#d9822b", "#5a9e3a", "#8e44ad", "#c0392b", "#555555",
];
const DASHES: [&str; 6] = ["", "6 3", "2 3", "8 3 2 3", "1 2", "10 4"];

impl Chart {
    /// A chart with these labels and no series yet; grouped bars, whole numbers.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Chart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            categories: Vec::new(),
            series: Vec::new(),
            layout: BarLayout::Grouped,
            format: ValueFormat::Count,
            target: None,
            empty_text: "No data".into(),
            id: "chart".into(),
        }
    }

    fn bar_series(&self) -> impl Iterator<Item = (usize, &Series)> {
        self.series
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == SeriesKind::Bar)
    }

    fn has_data(&self) -> bool {
        !self.categories.is_empty()
            && self
                .series
                .iter()
                .any(|s| s.values.iter().any(|v| v.is_some_and(f64::is_finite)))
    }

    /// The largest value the y axis must reach (stacked bars add up; the target counts).
    fn max_value(&self) -> f64 {
        let value = |s: &Series, i: usize| {
            s.values
                .get(i)
                .copied()
                .flatten()
                .filter(|v| v.is_finite())
                .unwrap_or(0.0)
        };
        let mut max = self.target.as_ref().map_or(0.0, |t| t.value);
        for i in 0..self.categories.len() {
            if self.layout == BarLayout::Stacked {
                max = max.max(self.bar_series().map(|(_, s)| value(s, i).max(0.0)).sum());
            }
            for s in &self.series {
                max = max.max(value(s, i));
            }
        }
        max
    }

    /// The SVG document.
    pub fn to_svg(&self) -> String {
        let mut out = String::with_capacity(4096);
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="sans-serif" font-size="12">"#,
            id = escape(&self.id)
        );
        let _ = write!(
            out,
            r#"<title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
            escape(&self.title),
            escape(&self.description()),
            id = escape(&self.id)
        );
        self.patterns(&mut out);
        let _ = write!(
            out,
            r#"<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/><text x="{}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{}</text>"#,
            WIDTH / 2.0,
            escape(&self.title)
        );
        if !self.has_data() {
            let _ = write!(
                out,
                r#"<text class="empty" x="{}" y="{}" text-anchor="middle">{}</text></svg>"#,
                WIDTH / 2.0,
                HEIGHT / 2.0,
                escape(&self.empty_text)
            );
            return out;
        }
        let scale = Scale::new(self.max_value(), self.format == ValueFormat::Count);
        self.axes(&mut out, &scale);
        self.bars(&mut out, &scale);
        self.lines(&mut out, &scale);
        self.target_line(&mut out, &scale);
        self.legend(&mut out);
        out.push_str("</svg>");
        out
    }

    /// A sentence for screen readers: what is plotted against what.
    fn description(&self) -> String {
        let names: Vec<&str> = self.series.iter().map(|s| s.name.as_str()).collect();
        let mut d = format!(
            "{} by {}: {}, {} categories.",
            self.y_label,
            self.x_label,
            names.join(", "),
            self.categories.len()
        );
        if let Some(t) = &self.target {
            let _ = write!(d, " {}: {}.", t.label, self.format.write(t.value));
        }
        d
    }

    /// One fill pattern per bar series, drawn in the series' colour.
    fn patterns(&self, out: &mut String) {
        let pid = escape(&self.id);
        out.push_str("<defs>");
        for (i, _) in self.bar_series() {
            let c = COLOURS[i % COLOURS.len()];
            let _ = write!(
                out,
                r#"<pattern id="{pid}-p{i}" patternUnits="userSpaceOnUse" width="8" height="8"><rect width="8" height="8" fill="{}"/>{}</pattern>"#,
                if i % COLOURS.len() == 0 { c } else { "white" },
                match i % 6 {
                    0 => String::new(),
                    1 => format!(
                        r#"<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="{c}" stroke-width="2.5"/>"#
                    ),
                    2 => format!(r#"<circle cx="4" cy="4" r="2.2" fill="{c}"/>"#),
                    3 =>
                        format!(r#"<path d="M0,0 l8,8 M8,0 l-8,8" stroke="{c}" stroke-width="2"/>"#),
                    4 => format!(r#"<path d="M0,4 h8" stroke="{c}" stroke-width="3"/>"#),
                    _ => format!(r#"<path d="M4,0 v8" stroke="{c}" stroke-width="3"/>"#),
                }
            );
        }
        out.push_str("</defs>");
    }

    fn plot_width() -> f64 {
        WIDTH - LEFT - RIGHT
    }

    fn slot_width(&self) -> f64 {
        Self::plot_width() / self.categories.len().max(1) as f64
    }

    fn axes(&self, out: &mut String, scale: &Scale) {
        let bottom = HEIGHT - BOTTOM;
        let _ = write!(out, r#"<g class="axes" stroke="black">"#);
        let _ = write!(
            out,
            r#"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}"/><line x1="{LEFT}" y1="{bottom}" x2="{}" y2="{bottom}"/>"#,
            WIDTH - RIGHT
        );
        out.push_str("</g>");
        for k in 0..=TICKS {
            let v = scale.step * k as f64;
            let y = scale.y(v);
            let _ = write!(
                out,
                r#"<line x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="gainsboro"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
                WIDTH - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                escape(&self.format.tick(v))
            );
        }
        // Label at most ~24 categories; the others keep their tick (and their bars' titles).
        let every = self.categories.len().div_ceil(24).max(1);
        let slot = self.slot_width();
        for (i, c) in self.categories.iter().enumerate() {
            let x = LEFT + slot * (i as f64 + 0.5);
            let _ = write!(
                out,
                r#"<line x1="{x:.1}" y1="{bottom}" x2="{x:.1}" y2="{}" stroke="black"/>"#,
                bottom + 4.0
            );
            if i % every == 0 {
                let _ = write!(
                    out,
                    r#"<text class="category" x="{x:.1}" y="{:.1}" text-anchor="end" transform="rotate(-35 {x:.1} {:.1})">{}</text>"#,
                    bottom + 16.0,
                    bottom + 16.0,
                    escape(&short_label(c))
                );
            }
        }
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text x="16" y="{:.1}" text-anchor="middle" transform="rotate(-90 16 {:.1})">{}</text>"#,
            LEFT + Self::plot_width() / 2.0,
            HEIGHT - 38.0,
            escape(&self.x_label),
            TOP + (bottom - TOP) / 2.0,
            TOP + (bottom - TOP) / 2.0,
            escape(&self.y_label)
        );
    }

    fn bars(&self, out: &mut String, scale: &Scale) {
        let pid = escape(&self.id);
        let bars: Vec<(usize, &Series)> = self.bar_series().collect();
        if bars.is_empty() {
            return;
        }
        let slot = self.slot_width();
        let inner = slot * 0.8;
        let width = match self.layout {
            BarLayout::Grouped => inner / bars.len() as f64,
            BarLayout::Stacked => inner,
        };
        for (c, category) in self.categories.iter().enumerate() {
            let mut stacked = 0.0;
            for (n, (i, s)) in bars.iter().enumerate() {
                let Some(v) = s.values.get(c).copied().flatten().filter(|v| v.is_finite()) else {
                    continue;
                };
                let v = v.max(0.0);
                let (base, x) = match self.layout {
                    BarLayout::Grouped => {
                        (0.0, LEFT + slot * c as f64 + slot * 0.1 + width * n as f64)
                    }
                    BarLayout::Stacked => (stacked, LEFT + slot * c as f64 + slot * 0.1),
                };
                stacked += v;
                let (top, bottom) = (scale.y(base + v), scale.y(base));
                let _ = write!(
                    out,
                    r#"<rect class="bar" data-series="{i}" x="{x:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="url(#{pid}-p{i})" stroke="{}" stroke-width="0.8"><title>{}: {}, {}</title></rect>"#,
                    width.max(0.5),
                    (bottom - top).max(0.0),
                    COLOURS[i % COLOURS.len()],
                    escape(&s.name),
                    escape(category),
                    escape(&self.format.write(v))
                );
            }
        }
    }

    fn lines(&self, out: &mut String, scale: &Scale) {
        let slot = self.slot_width();
        for (i, s) in self.series.iter().enumerate() {
            if s.kind != SeriesKind::Line {
                continue;
            }
            let colour = COLOURS[i % COLOURS.len()];
            let points: Vec<Option<(f64, f64)>> = (0..self.categories.len())
                .map(|c| {
                    let v = s
                        .values
                        .get(c)
                        .copied()
                        .flatten()
                        .filter(|v| v.is_finite())?;
                    Some((LEFT + slot * (c as f64 + 0.5), scale.y(v)))
                })
                .collect();
            // A gap (no value) breaks the line.
            let mut d = String::new();
            let mut pen_down = false;
            for p in &points {
                match p {
                    Some((x, y)) => {
                        let _ = write!(d, "{}{x:.1},{y:.1} ", if pen_down { "L" } else { "M" });
                        pen_down = true;
                    }
                    None => pen_down = false,
                }
            }
            let _ = write!(
                out,
                r#"<path class="line" data-series="{i}" d="{}" fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{}"/>"#,
                d.trim_end(),
                DASHES[i % DASHES.len()]
            );
            for (c, p) in points.iter().enumerate() {
                if let (Some((x, y)), Some(v)) = (p, s.values.get(c).copied().flatten()) {
                    out.push_str(&marker(i, *x, *y, colour));
                    let _ = write!(
                        out,
                        "<title>{}: {}, {}</title></g>",
                        escape(&s.name),
                        escape(&self.categories[c]),
                        escape(&self.format.write(v))
                    );
                }
            }
        }
    }

    fn target_line(&self, out: &mut String, scale: &Scale) {
        let Some(t) = &self.target else { return };
        let y = scale.y(t.value);
        let _ = write!(
            out,
            r#"<g class="target"><line x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="black" stroke-width="1.5" stroke-dasharray="10 4"/><text x="{}" y="{:.1}" text-anchor="end" font-weight="bold">{}: {}</text></g>"#,
            WIDTH - RIGHT,
            WIDTH - RIGHT - 4.0,
            y - 5.0,
            escape(&t.label),
            escape(&self.format.write(t.value))
        );
    }

    fn legend(&self, out: &mut String) {
        let pid = escape(&self.id);
        let y = HEIGHT - 18.0;
        let mut x = LEFT;
        out.push_str(r#"<g class="legend">"#);
        for (i, s) in self.series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            match s.kind {
                SeriesKind::Bar => {
                    let _ = write!(
                        out,
                        r#"<rect x="{x:.1}" y="{:.1}" width="14" height="14" fill="url(#{pid}-p{i})" stroke="{colour}"/>"#,
                        y - 11.0
                    );
                }
                SeriesKind::Line => {
                    let _ = write!(
                        out,
                        r#"<line x1="{x:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="2" stroke-dasharray="{}"/>"#,
                        y - 4.0,
                        x + 14.0,
                        y - 4.0,
                        DASHES[i % DASHES.len()]
                    );
                    out.push_str(&marker(i, x + 7.0, y - 4.0, colour));
                    out.push_str("</g>");
                }
            }
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{y:.1}">{}</text>"#,
                x + 19.0,
                escape(&s.name)
            );
            x += 30.0 + text_width(&s.name);
        }
        if let Some(t) = &self.target {
            let _ = write!(
                out,
                r#"<line x1="{x:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="black" stroke-width="1.5" stroke-dasharray="10 4"/><text x="{:.1}" y="{y:.1}">{}</text>"#,
                y - 4.0,
                x + 20.0,
                y - 4.0,
                x + 25.0,
                escape(&t.label)
            );
        }
        out.push_str("</g>");
    }
}

/// About how wide `text` is at the charts' 12 px sans-serif, for placing legend entries one
/// after another: Hangul, CJK and full-width characters take about a full em, others about
/// 7 px (the Korean legends overlapped when every character counted 7 px).
fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|c| match u32::from(c) {
            0x1100..=0x11FF
            | 0x2E80..=0x303F
            | 0x3040..=0x30FF
            | 0x3130..=0x318F
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFF00..=0xFF60 => 12.5,
            _ => 7.0,
        })
        .sum()
}

/// Opens a `<g>` holding a point's marker (circle, square, triangle, diamond... by series); the
/// caller adds the `<title>` and closes it.
fn marker(series: usize, x: f64, y: f64, colour: &str) -> String {
    let shape = match series % 4 {
        0 => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5"/>"#),
        1 => format!(
            r#"<rect x="{:.1}" y="{:.1}" width="7" height="7"/>"#,
            x - 3.5,
            y - 3.5
        ),
        2 => format!(r#"<path d="M{x:.1},{:.1} l4,7 h-8 z"/>"#, y - 4.0),
        _ => format!(r#"<path d="M{x:.1},{:.1} l4,4 l-4,4 l-4,-4 z"/>"#, y - 4.0),
    };
    format!(r#"<g class="point" fill="{colour}" stroke="white" stroke-width="0.8">{shape}"#)
}

/// A bucket label shortened for the axis: `2025-03-01T09:15:00+09:00` → `03-01 09:15`.
fn short_label(label: &str) -> String {
    match (label.get(5..10), label.get(10..11), label.get(11..16)) {
        (Some(date), Some("T"), Some(time)) => format!("{date} {time}"),
        _ => label.to_owned(),
    }
}

/// Maps values to y: zero at the bottom, a "nice" maximum (1, 2, 2.5 or 5 × 10^n per tick;
/// whole steps for counts: there is no half call).
struct Scale {
    step: f64,
}

impl Scale {
    fn new(max: f64, whole: bool) -> Self {
        let raw = (max.max(0.0) / TICKS as f64).max(f64::MIN_POSITIVE);
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 2.5, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|s| *s >= raw)
            .unwrap_or(10.0 * magnitude);
        let step = if max <= 0.0 { 1.0 } else { step };
        Scale {
            step: if whole { step.ceil() } else { step },
        }
    }

    fn y(&self, v: f64) -> f64 {
        let bottom = HEIGHT - BOTTOM;
        bottom - (v / (self.step * TICKS as f64)) * (bottom - TOP)
    }
}

/// Escapes text for SVG (XML) content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offered_chart() -> Chart {
        let mut c = Chart::new("Calls", "interval", "calls");
        c.categories = vec!["09:00".into(), "09:15".into(), "09:30".into()];
        c.series = vec![
            Series::bars("offered", vec![Some(10.0), Some(12.0), Some(7.0)]),
            Series::bars("answered", vec![Some(8.0), None, Some(7.0)]),
            Series::bars("abandoned", vec![Some(2.0), Some(1.0), Some(0.0)]),
        ];
        c
    }

    fn count(svg: &str, needle: &str) -> usize {
        svg.matches(needle).count()
    }

    #[test]
    fn one_bar_per_value_present() {
        let svg = offered_chart().to_svg();
        // 3 + 2 (one missing) + 3.
        assert_eq!(count(&svg, r#"<rect class="bar""#), 8);
        assert_eq!(count(&svg, r#"data-series="1""#), 2);
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"<title id="chart-title">Calls</title>"#));
        let mut other = offered_chart();
        other.id = "sl".into();
        let other = other.to_svg();
        assert!(other.contains(r#"aria-labelledby="sl-title sl-desc""#));
        assert!(other.contains(r#"<desc id="sl-desc">"#));
        // Three patterns, three legend entries.
        assert_eq!(count(&svg, "<pattern "), 3);
        // Three bars (a zero is a bar of no height) and the legend swatch.
        assert_eq!(count(&svg, r#"fill="url(#chart-p2)""#), 3 + 1);
    }

    /// Korean legend entries are placed by their width at 12 px: the next entry starts after
    /// the previous one's text, where counting 7 px a character put it on top of it.
    #[test]
    fn korean_legend_entries_do_not_overlap() {
        assert_eq!(text_width("SL"), 14.0);
        assert_eq!(text_width("서비스 레벨"), 5.0 * 12.5 + 7.0);
        let mut c = Chart::new("평균 응답 속도", "구간", "초");
        c.categories = vec!["a".into()];
        c.series = vec![
            Series::line("평균 응답 속도", vec![Some(1.0)]),
            Series::line("평균 처리 시간", vec![Some(2.0)]),
        ];
        let svg = c.to_svg();
        let legend = &svg[svg.find(r#"<g class="legend">"#).expect("legend")..];
        let xs: Vec<f64> = legend
            .match_indices("<text x=\"")
            .filter_map(|(i, m)| {
                let rest = &legend[i + m.len()..];
                rest[..rest.find('"')?].parse().ok()
            })
            .collect();
        assert_eq!(xs.len(), 2, "{legend}");
        assert!(
            xs[1] - xs[0] >= text_width("평균 응답 속도"),
            "the second entry starts inside the first: {xs:?}"
        );
    }

    #[test]
    fn stacked_bars_reach_the_sum() {
        let mut c = offered_chart();
        c.series.remove(0);
        c.layout = BarLayout::Stacked;
        let scale = Scale::new(c.max_value(), true);
        assert_eq!(c.max_value(), 8.0 + 2.0);
        assert_eq!(scale.step, 2.0);
        let svg = c.to_svg();
        assert_eq!(count(&svg, r#"<rect class="bar""#), 5);
    }

    #[test]
    fn lines_target_and_gaps() {
        let mut c = Chart::new("Service level", "interval", "share");
        c.format = ValueFormat::Ratio;
        c.categories = vec!["a".into(), "b".into(), "c".into(), "d".into()];
        c.series = vec![Series::line(
            "service level",
            vec![Some(0.5), None, Some(0.9), Some(1.0)],
        )];
        c.target = Some(Target {
            value: 0.8,
            label: "target".into(),
        });
        let svg = c.to_svg();
        assert_eq!(count(&svg, r#"<g class="point""#), 3 + 1, "points + legend");
        // The gap starts a new sub-path.
        assert_eq!(count(&svg, " M"), 1, "{svg}");
        assert!(svg.contains("target: 80.0 %"));
        assert!(svg.contains(">100 %<"), "ticks up to 100 %: {svg}");
        assert_eq!(count(&svg, r#"<rect class="bar""#), 0);
    }

    #[test]
    fn text_is_escaped() {
        let mut c = offered_chart();
        c.title = r#"<script>alert("x")</script> & 'y'"#.into();
        c.series[0].name = "a<b".into();
        c.categories[0] = "\"q&a\"".into();
        let svg = c.to_svg();
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"));
        assert!(svg.contains("a&lt;b"));
        assert!(svg.contains("&quot;q&amp;a&quot;"));
        assert!(!svg.contains("a<b"));
        assert_eq!(escape("bell\u{7}"), "bell\u{fffd}");
    }

    #[test]
    fn empty_data_says_so() {
        let mut c = Chart::new("Calls", "interval", "calls");
        c.empty_text = "No calls <here>".into();
        let svg = c.to_svg();
        assert!(svg.contains(r#"<text class="empty""#));
        assert!(svg.contains("No calls &lt;here&gt;"));
        assert_eq!(count(&svg, r#"<rect class="bar""#), 0);
        c.categories = vec!["x".into()];
        c.series = vec![Series::bars("offered", vec![None])];
        assert!(c.to_svg().contains(r#"class="empty""#));
    }

    #[test]
    fn nice_scales() {
        assert_eq!(Scale::new(10.0, false).step, 2.0);
        assert_eq!(Scale::new(1.0, false).step, 0.2);
        assert_eq!(Scale::new(11.0, false).step, 2.5);
        assert_eq!(Scale::new(0.0, false).step, 1.0);
        assert_eq!(Scale::new(130.0, false).step, 50.0);
        // Counts: whole steps.
        assert_eq!(Scale::new(2.0, true).step, 1.0);
        assert_eq!(Scale::new(11.0, true).step, 3.0);
        assert_eq!(short_label("2025-03-01T09:15:00+09:00"), "03-01 09:15");
        assert_eq!(short_label("mon"), "mon");
    }
}
