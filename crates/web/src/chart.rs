//! Every chart is drawn to one scale: the same width, label column, font size and row height,
//! labels wrapped onto as many lines as they need (never cut). Horizontal bars of counts are
//! [`BarChart`], drawn by the `bar_chart` template macro; the self-assessment's stacked bars use
//! the same measures through [`label_lines`] and the constants.

/// The width of every chart, in SVG units.
pub const WIDTH: u32 = 640;
/// Where bars start: the label column is as wide for every chart.
pub const BAR_X: u32 = 230;
/// The longest bar.
pub const BAR_MAX: u32 = 340;
/// The font size of labels and values.
pub const FONT: u32 = 13;
/// The height of one line of a label.
pub const LINE: u32 = 16;
/// The height of a bar.
pub const BAR_H: u32 = 18;
/// Space between rows.
const GAP: u32 = 10;
/// Characters of a label per line: what fits the label column at [`FONT`].
const LABEL_CHARS: usize = 30;

/// A label broken into lines of at most [`LABEL_CHARS`] characters, at spaces where it can be.
pub fn label_lines(label: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in label.split_whitespace() {
        let mut word = word.to_string();
        while word.chars().count() > LABEL_CHARS {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let head: String = word.chars().take(LABEL_CHARS).collect();
            word = word.chars().skip(LABEL_CHARS).collect();
            lines.push(head);
        }
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > LABEL_CHARS {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The height of a row whose label has `lines` lines.
pub fn row_height(lines: usize) -> u32 {
    (LINE * lines.max(1) as u32).max(BAR_H) + GAP
}

/// One bar: its label's lines, its count, and where it is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub lines: Vec<String>,
    pub count: i64,
    pub width: u32,
    /// The top of the row.
    pub y: u32,
}

impl Bar {
    /// The label as one line, for the table beside the chart.
    pub fn label(&self) -> String {
        self.lines.join(" ")
    }
}

/// Horizontal bars of counts, the largest [`BAR_MAX`] long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarChart {
    pub bars: Vec<Bar>,
    pub width: u32,
    pub height: u32,
    pub bar_x: u32,
    pub font: u32,
    pub line: u32,
    pub bar_h: u32,
}

impl BarChart {
    pub fn new(items: Vec<(String, i64)>) -> BarChart {
        let max = items.iter().map(|i| i.1).max().unwrap_or(0).max(1);
        let mut y = 0;
        let bars = items
            .into_iter()
            .map(|(label, count)| {
                let lines = label_lines(&label);
                let bar =
                    Bar { count, width: (count.max(0) as u64 * u64::from(BAR_MAX) / max as u64) as u32, y, lines };
                y += row_height(bar.lines.len());
                bar
            })
            .collect();
        BarChart { bars, width: WIDTH, height: y.max(1), bar_x: BAR_X, font: FONT, line: LINE, bar_h: BAR_H }
    }

    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_wrap_at_spaces_and_nothing_is_cut() {
        let label = "5.9 Beredskap, kontinuitet og tilgjengelighet for kritiske systemer";
        let lines = label_lines(label);
        assert!(lines.len() > 1 && lines.iter().all(|l| l.chars().count() <= LABEL_CHARS), "{lines:?}");
        assert_eq!(lines.join(" "), label);
        let long = "Helseopplysningsregisterforskriftsbestemmelsene";
        assert_eq!(label_lines(long).concat(), long, "a word longer than a line is split, not cut");
        assert_eq!(label_lines(""), vec![String::new()]);
    }

    #[test]
    fn bars_share_one_scale_and_rows_grow_with_their_labels() {
        let chart = BarChart::new(vec![("Kort".into(), 10), ("Et langt navn som trenger to linjer her".into(), 5)]);
        assert_eq!((chart.bars[0].width, chart.bars[1].width), (BAR_MAX, BAR_MAX / 2));
        assert_eq!(chart.bars[1].y, row_height(1));
        assert_eq!(chart.height, row_height(1) + row_height(2));
        assert_eq!(BarChart::new(vec![("Null".into(), 0)]).bars[0].width, 0);
    }
}
