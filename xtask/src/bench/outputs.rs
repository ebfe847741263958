//! What a bench run leaves behind: the lines FILTER selects, `target/bench/results.json` (one
//! object per line and mode), the log-scale chart of the Linux/Exo ratios
//! (`target/bench/ratios.svg`, copied to `docs/bench-ratios.svg`), and docs/BENCHMARKS.md.
//! A quick or filtered run writes only under `target/bench/`: the docs keep the last full run.

use super::*;

/// The bare crossings Exo's `limit` program measures (see docs/ABI.md, `LIMIT_SYSNUM`).
pub(super) const LIMIT_SYSCALL: &str = "limit_syscall";
pub(super) const LIMIT_EXCEPTION: &str = "limit_exception";

/// The lines whose BENCH name or label contains `filter` (all without one).
pub(super) fn select_lines(filter: Option<&str>) -> Vec<&'static Line> {
    LINES
        .iter()
        .filter(|line| filter.is_none_or(|f| line.exo.contains(f) || line.label.contains(f)))
        .collect()
}

/// The bare crossing a line is compared with: the exception round trip for the lines that take a
/// fault, the `syscall`/`sysretq` round trip for the rest.
pub(super) fn limit_name(line: &Line) -> &'static str {
    let faults = ["limit_exception", "exc_bp", "exc_ud", "exc_pf", "trap", "appel1", "appel2", "first_touch"];
    if faults.contains(&line.exo) { LIMIT_EXCEPTION } else { LIMIT_SYSCALL }
}

/// `(max - min) / median` of a column's per-run medians for `name`; `None` with fewer than 2 runs.
pub(super) fn spread(column: &Column, name: Option<&str>) -> Option<f64> {
    let values = column.medians.get(name?)?;
    let mid = median(values)?;
    let max = values.iter().copied().fold(f64::MIN, f64::max);
    let min = values.iter().copied().fold(f64::MAX, f64::min);
    (values.len() >= 2 && mid > 0.0).then(|| (max - min) / mid)
}

fn json_number(value: Option<f64>) -> String {
    value.filter(|v| v.is_finite()).map_or("null".into(), |v| format!("{v:.3}"))
}

fn value(cell: Cell) -> Option<f64> {
    match cell {
        Cell::Value(v) => Some(v),
        Cell::Missing(_) => None,
    }
}

/// `target/bench/results.json`: an array, one object per (line, mode) with the fields `name`,
/// `label`, `exo`, `linux_guest`, `linux_native` (time mode only), `limit` (Exo's bare crossing in
/// the same mode), `unit`, `mode`, `repeats` (boots), `spread` (of Exo's and Linux guest's per-boot
/// medians), `quick`. Missing figures are `null`.
pub(super) fn results_json(results: &Results, context: &Context, modes: &[Mode]) -> String {
    let mut objects = Vec::new();
    for line in &results.lines {
        for &mode in modes {
            let exo = value(results.cell(line, Side::Exo, mode));
            let guest = value(results.cell(line, Side::LinuxGuest, mode));
            let native = (mode == Mode::Time).then(|| value(results.cell(line, Side::LinuxNative, mode))).flatten();
            let limit = results.column(Side::Exo, mode).median_of(limit_name(line));
            let unit = if mode == Mode::Time { "ns per operation" } else { "guest instructions per operation" };
            objects.push(format!(
                "  {{\"name\": {}, \"label\": {}, \"exo\": {}, \"linux_guest\": {}, \"linux_native\": {}, \
                 \"limit\": {}, \"unit\": {}, \"mode\": {}, \"repeats\": {}, \
                 \"spread\": {{\"exo\": {}, \"linux_guest\": {}}}, \"quick\": {}}}",
                json_string(line.exo),
                json_string(line.label),
                json_number(exo),
                json_number(guest),
                json_number(native),
                json_number(limit),
                json_string(unit),
                json_string(mode.name()),
                context.repeats,
                json_number(spread(results.column(Side::Exo, mode), Some(line.exo))),
                json_number(spread(results.column(Side::LinuxGuest, mode), line.linux)),
                context.quick,
            ));
        }
    }
    format!("[\n{}\n]\n", objects.join(",\n"))
}

/// Escapes `<`, `>`, `&` for SVG text.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A horizontal bar chart of Linux guest / Exo per line, one bar per mode, on a log scale from
/// 0.01x to 1000x around 1x (bars right of 1x: Exo is faster). Lines without both figures show
/// "n/a".
pub(super) fn ratios_svg(results: &Results, modes: &[Mode]) -> String {
    const LABEL_W: f64 = 330.0;
    const PLOT_W: f64 = 560.0;
    const ROW_H: f64 = 14.0;
    const TOP: f64 = 46.0;
    let (lo, hi) = (-2.0f64, 3.0f64); // log10 of the axis ends
    let x = |ratio: f64| LABEL_W + (ratio.log10().clamp(lo, hi) - lo) / (hi - lo) * PLOT_W;
    let group = ROW_H * modes.len() as f64 + 8.0;
    let height = TOP + group * results.lines.len() as f64 + 30.0;
    let width = LABEL_W + PLOT_W + 80.0;
    let colors = |mode: Mode| if mode == Mode::Instructions { "#3b6fb6" } else { "#e08a2c" };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"16\" font-size=\"13\">Linux guest / Exo, same QEMU machine, same run \
         (log scale; right of 1x: Exo faster)</text>\n"
    );
    for (i, &mode) in modes.iter().enumerate() {
        let lx = 10.0 + 150.0 * i as f64;
        let _ = writeln!(svg, "<rect x=\"{lx}\" y=\"26\" width=\"10\" height=\"10\" fill=\"{}\"/>\
                               <text x=\"{}\" y=\"35\">{}</text>", colors(mode), lx + 14.0, mode.name());
    }
    for exp in lo as i32..=hi as i32 {
        let ratio = 10f64.powi(exp);
        let gx = x(ratio);
        let stroke = if exp == 0 { "#000" } else { "#ccc" };
        let _ = writeln!(svg, "<line x1=\"{gx:.1}\" y1=\"{TOP}\" x2=\"{gx:.1}\" y2=\"{:.1}\" stroke=\"{stroke}\"/>\
                               <text x=\"{gx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}x</text>",
                         height - 26.0, height - 12.0, format_ratio(&Cell::Value(ratio), &Cell::Value(1.0)));
    }
    for (row, line) in results.lines.iter().enumerate() {
        let y0 = TOP + group * row as f64 + 4.0;
        let _ = writeln!(svg, "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                         LABEL_W - 6.0, y0 + ROW_H * modes.len() as f64 / 2.0 + 4.0, xml(line.label));
        for (i, &mode) in modes.iter().enumerate() {
            let y = y0 + ROW_H * i as f64;
            let exo = results.cell(line, Side::Exo, mode);
            let guest = results.cell(line, Side::LinuxGuest, mode);
            match (&guest, &exo) {
                (Cell::Value(l), Cell::Value(e)) if *e > 0.0 && *l > 0.0 => {
                    let (a, b) = (x(1.0), x(l / e));
                    let _ = writeln!(svg, "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"/>\
                                           <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                                     a.min(b), (a - b).abs().max(1.0), ROW_H - 3.0, colors(mode),
                                     a.max(b) + 3.0, y + ROW_H - 4.0, format_ratio(&guest, &exo));
                }
                _ => {
                    let _ = writeln!(svg, "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#888\">n/a ({})</text>",
                                     x(1.0) + 3.0, y + ROW_H - 4.0, mode.name());
                }
            }
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", display(dir)))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", display(path)))
}

/// Writes the run's outputs; `partial` (quick or filtered) keeps docs/ as the last full run left it.
pub(super) fn write_outputs(table: &str, results: &Results, context: &Context, partial: bool) -> Result<(), String> {
    let modes = &results.table_modes();
    let dir = workspace_root().join("target/bench");
    let markdown = benchmarks_markdown(table, results, context);
    let svg = ratios_svg(results, modes);
    write(&dir.join("results.json"), &results_json(results, context, modes))?;
    write(&dir.join("bench.json"), &bench_json(results, context))?;
    write(&dir.join("ratios.svg"), &svg)?;
    write(&dir.join("BENCHMARKS.md"), &markdown)?;
    let mut wrote = vec![display(&dir.join("{results.json,bench.json,ratios.svg,BENCHMARKS.md}")).to_string()];
    if !partial {
        for (path, text) in [("docs/BENCHMARKS.md", &markdown), ("docs/bench-ratios.svg", &svg)] {
            write(&workspace_root().join(path), text)?;
            wrote.push(path.into());
        }
    }
    println!("xtask: bench: wrote {} in {:.0} s", wrote.join(" and "), context.duration.as_secs_f64());
    Ok(())
}
