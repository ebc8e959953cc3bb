//! Every chart is drawn to one scale: the same width, label column, font size and row height,
//! labels wrapped onto as many lines as they need (never cut). Horizontal bars of counts are
//! [`BarChart`], drawn by the `bar_chart` template macro; the self-assessment's stacked bars use
//! the same measures through [`label_lines`] and the constants. The risk matrix's heat map is
//! [`HeatMap`], drawn by the `heat_map` macro.

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

/// The side of a heat map's cell.
const CELL: u32 = 48;
/// Room for the axis numbers and titles on the left and below.
const AXIS: u32 = 44;
/// The fill of each risk level, lowest first: light enough for dark text (WCAG AA), and told
/// apart by the level's name in the legend and table too, never by colour alone.
const LEVEL_FILLS: [&str; 5] = ["#cdebd3", "#fff0a8", "#ffd3a6", "#f6b3b3", "#e6a1c8"];

/// The fill of level `level` of `levels`: spread over the palette so the lowest is green and the
/// highest red whatever the count.
pub fn level_fill(level: usize, levels: usize) -> &'static str {
    let i = if levels <= 1 { 0 } else { (level * 3 + (levels - 1) / 2) / (levels - 1) };
    LEVEL_FILLS[i.min(LEVEL_FILLS.len() - 1)]
}

/// One cell: where, its level's fill and how many events are in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeatCell {
    /// The likelihood and consequence steps, from 1.
    pub l: usize,
    pub c: usize,
    pub x: u32,
    pub y: u32,
    pub fill: &'static str,
    pub count: usize,
}

/// A likelihood × consequence grid with a count in each cell, likelihood rising upwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeatMap {
    pub cells: Vec<HeatCell>,
    pub width: u32,
    pub height: u32,
    pub cell: u32,
    pub axis: u32,
    pub font: u32,
    /// The step numbers along each axis, with where they are drawn.
    pub x_ticks: Vec<(u32, usize)>,
    pub y_ticks: Vec<(u32, usize)>,
}

impl HeatMap {
    /// `counts[l][c]` on a grid whose cell `[l][c]` is level `levels_of[l][c]` of `levels`.
    pub fn new(counts: &[Vec<usize>], levels_of: &[Vec<usize>], levels: usize) -> HeatMap {
        let rows = counts.len() as u32;
        let cols = counts.first().map_or(0, Vec::len) as u32;
        let mut cells = Vec::new();
        for (l, row) in counts.iter().enumerate() {
            for (c, count) in row.iter().enumerate() {
                let level = levels_of.get(l).and_then(|r| r.get(c)).copied().unwrap_or(0);
                cells.push(HeatCell {
                    l: l + 1,
                    c: c + 1,
                    x: AXIS + c as u32 * CELL,
                    y: (rows - 1 - l as u32) * CELL,
                    fill: level_fill(level, levels),
                    count: *count,
                });
            }
        }
        HeatMap {
            cells,
            width: AXIS + cols * CELL + 4,
            height: rows * CELL + AXIS,
            cell: CELL,
            axis: AXIS,
            font: FONT,
            x_ticks: (0..cols).map(|c| (AXIS + c * CELL + CELL / 2, c as usize + 1)).collect(),
            y_ticks: (0..rows).map(|l| ((rows - 1 - l) * CELL + CELL / 2, l as usize + 1)).collect(),
        }
    }

    /// The middle of the grid, where the consequence axis's title goes.
    pub fn grid_mid_x(&self) -> u32 {
        self.axis + (self.width - self.axis) / 2
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

    #[test]
    fn a_heat_map_puts_the_highest_likelihood_on_top_and_spreads_the_levels() {
        let counts = vec![vec![1, 0], vec![0, 2]];
        let levels = vec![vec![0, 1], vec![1, 2]];
        let map = HeatMap::new(&counts, &levels, 3);
        let at = |x: u32, y: u32| map.cells.iter().find(|c| c.x == x && c.y == y).map(|c| (c.l, c.c, c.count, c.fill));
        assert_eq!(at(AXIS + CELL, 0), Some((2, 2, 2, LEVEL_FILLS[3])), "top right");
        assert_eq!(at(AXIS, CELL), Some((1, 1, 1, LEVEL_FILLS[0])), "bottom left");
        assert_eq!((level_fill(0, 2), level_fill(1, 2)), (LEVEL_FILLS[0], LEVEL_FILLS[3]));
        assert_eq!(level_fill(4, 5), LEVEL_FILLS[3]);
    }
}
