//! How the benchmark table shows its figures: times, instruction counts, ratios, the Markdown table.

use super::*;

/// The formatted value of one cell.
pub(super) fn format_cell(cell: &Cell, mode: Mode) -> String {
    match cell {
        Cell::Value(v) if mode == Mode::Time => format_ns(*v),
        Cell::Value(v) => format_count(*v),
        Cell::Missing(why) => format!("n/a ({why})"),
    }
}

/// Nanoseconds in the unit that keeps 3 significant digits: `549 ns`, `46.0 us`, `1.24 ms`.
pub fn format_ns(ns: f64) -> String {
    let three = |v: f64| {
        if v >= 100.0 {
            format!("{v:.0}")
        } else if v >= 10.0 {
            format!("{v:.1}")
        } else {
            format!("{v:.2}")
        }
    };
    if ns < 1e3 {
        format!("{} ns", three(ns))
    } else if ns < 1e6 {
        format!("{} us", three(ns / 1e3))
    } else if ns < 1e9 {
        format!("{} ms", three(ns / 1e6))
    } else {
        format!("{} s", three(ns / 1e9))
    }
}

/// An instruction count, rounded, with thousands separators: `272,264`.
pub fn format_count(count: f64) -> String {
    let digits = format!("{:.0}", count.max(0.0));
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `linux / exo` as `12.3x` (`-` when either is missing).
pub(super) fn format_ratio(linux: &Cell, exo: &Cell) -> String {
    match (linux, exo) {
        (Cell::Value(l), Cell::Value(e)) if *e > 0.0 => {
            let r = l / e;
            if r >= 10.0 {
                format!("{r:.0}x")
            } else if r >= 1.0 {
                format!("{r:.1}x")
            } else {
                format!("{r:.2}x")
            }
        }
        _ => "-".into(),
    }
}

/// A table as text: `|`-separated Markdown with a header rule, columns padded to line up.
pub fn markdown_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    out.push_str(&line(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>()));
    for row in rows {
        out.push_str(&line(row));
    }
    out
}
