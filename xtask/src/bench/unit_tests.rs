//! Unit tests of the benchmark harness: parsing, medians, formatting, the initramfs.
use super::*;

#[test]
fn bench_lines_parse_and_other_lines_do_not() {
    let (name, sample) = parse_bench_line("BENCH name=null_syscall median=212.1 min=200 iters=20000").unwrap();
    assert_eq!(name, "null_syscall");
    assert_eq!(sample, Sample { median: 212.1, min: 200.0, iters: 20000 });
    for bad in [
        "BENCH done",
        "BENCH name=x median=1 min=1",
        "BENCH name=x median=abc min=1 iters=3",
        "BENCH name=x median=inf min=1 iters=3",
        "BENCHINFO tsc_hz=1",
        "hello",
        "",
    ] {
        assert_eq!(parse_bench_line(bad), None, "{bad}");
    }
    let output = "exo: boot\nBENCH name=a median=1 min=1 iters=1\r\n[ 1.0] x BENCH name=b median=2.5 min=2 iters=10\nBENCH done\n";
    let all = parse_bench_output(output);
    assert_eq!(all.keys().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(all["b"].median, 2.5);
}

#[test]
fn info_and_tsc_rate_are_found() {
    let linux = "BENCHINFO kernel=6.1.0-56-amd64\nBENCHINFO tsc_hz=2595613332\r\n";
    assert_eq!(parse_info(linux, "kernel"), Some("6.1.0-56-amd64"));
    assert_eq!(parse_info(linux, "tsc_hz"), Some("2595613332"));
    assert_eq!(parse_info(linux, "nope"), None);
    let exo = "[  27.050] INFO  arch::x86_64::lapic: timer every 10 ms (62756 APIC ticks/ms), TSC 2606 MHz\n";
    assert_eq!(parse_exo_tsc_hz(exo), Some(2606e6));
    assert_eq!(parse_exo_tsc_hz("no rate here\n"), None);
}

#[test]
fn median_of_odd_even_and_empty() {
    assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
    assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    assert_eq!(median(&[7.0]), Some(7.0));
    assert_eq!(median(&[]), None);
}

#[test]
fn numbers_are_formatted_for_the_table() {
    assert_eq!(format_ns(3.456), "3.46 ns");
    assert_eq!(format_ns(549.2), "549 ns");
    assert_eq!(format_ns(46_012.0), "46.0 us");
    assert_eq!(format_ns(1_240_000.0), "1.24 ms");
    assert_eq!(format_count(6.0), "6");
    assert_eq!(format_count(4143.4), "4,143");
    assert_eq!(format_count(272_264.0), "272,264");
    assert_eq!(format_count(1_000_000.0), "1,000,000");
    assert_eq!(format_ratio(&Cell::Value(212.0), &Cell::Value(50.0)), "4.2x");
    assert_eq!(format_ratio(&Cell::Value(4000.0), &Cell::Value(100.0)), "40x");
    assert_eq!(format_ratio(&Cell::Value(212.0), &Cell::Value(4300.0)), "0.05x");
    assert_eq!(format_ratio(&Cell::Value(1.0), &Cell::Missing("x".into())), "-");
    assert_eq!(format_cell(&Cell::Missing("needs PCT".into()), Mode::Time), "n/a (needs PCT)");
}

#[test]
fn table_columns_line_up() {
    let rows = vec![vec!["a".to_string(), "12,345".to_string()], vec!["long name".to_string(), "6".to_string()]];
    let table = markdown_table(&["primitive", "n"], &rows);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "| primitive | n      |");
    assert_eq!(lines[1], "| --------- | ------ |");
    assert_eq!(lines[2], "| a         | 12,345 |");
    assert_eq!(lines[3], "| long name | 6      |");
}

#[test]
fn missing_exo_lines_name_their_mechanism_and_are_never_numbers() {
    let mut results = Results { lines: select_lines(None), ..Results::default() };
    let exo: BTreeMap<String, Sample> =
        [("null_syscall".to_string(), Sample { median: 50.0, min: 48.0, iters: 10 })].into();
    let linux: BTreeMap<String, Sample> = [
        ("null_syscall".to_string(), Sample { median: 212.0, min: 210.0, iters: 10 }),
        ("pipe".to_string(), Sample { median: 13_000.0, min: 12_000.0, iters: 10 }),
    ]
    .into();
    results.column_mut(Side::Exo, Mode::Instructions).add_run(&exo, 1.0);
    results.column_mut(Side::LinuxGuest, Mode::Instructions).add_run(&linux, 1.0);
    results.column_mut(Side::LinuxGuest, Mode::Time).failure = Some("apt-get download failed: no network".into());
    let rows = results.rows();
    let syscall = rows.iter().find(|r| r[0].starts_with("null system call")).unwrap();
    assert_eq!(&syscall[1..4], ["50", "212", "4.2x"]);
    assert_eq!(syscall[4], "-"); // no limit line in this run
    assert_eq!(syscall[6], "n/a (apt-get download failed)");
    let pct = rows.iter().find(|r| r[0].starts_with("protected control transfer")).unwrap();
    assert_eq!(pct[1], "n/a (needs PCT)");
    assert_eq!(pct[2], "13,000");
    assert_eq!(pct[3], "-");
    let context = Context {
        idle: None,
        accel: Accel::Tcg,
        repeats: 1,
        commands: vec![],
        guest_kernel: None,
        native_kernel: None,
        duration: Duration::ZERO,
        quick: false,
        stages: None,
    };
    let json = bench_json(&results, &context);
    assert!(json.contains("\"name\": \"pct\""));
    assert!(json.contains("\"exo_instructions\": null"));
    assert!(json.contains("\"exo_instructions_missing\": \"needs PCT\""));
    let results_json = results_json(&results, &context, &[Mode::Instructions]);
    assert!(results_json.contains("{\"name\": \"null_syscall\", \"label\": \"null system call (syscall with unknown number)\", \"exo\": 50.000, \"linux_guest\": 212.000, \"linux_native\": null, \"limit\": null, \"unit\": \"guest instructions per operation\", \"mode\": \"instructions\", \"repeats\": 1"), "{results_json}");
    let svg = ratios_svg(&results, &[Mode::Instructions]);
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    assert!(svg.contains(">4.2x</text>"), "{svg}");
}

#[test]
fn kernel_package_comes_from_the_depends_line() {
    let output = "linux-image-amd64\n  Depends: linux-image-6.1.0-56-amd64\n";
    assert_eq!(kernel_package_from_depends(output).as_deref(), Some("linux-image-6.1.0-56-amd64"));
    assert_eq!(kernel_package_from_depends("linux-image-amd64\n  Depends: <linux-image>\n"), None);
    assert_eq!(kernel_package_from_depends(""), None);
}

#[test]
fn initramfs_has_dev_console_and_an_executable_init() {
    let archive = initramfs_newc(b"\x7fELF1234");
    assert!(archive.starts_with(b"070701"));
    assert_eq!(archive.len() % 4, 0);
    let text = String::from_utf8_lossy(&archive);
    // The console entry: mode 020600, rdev 5:1.
    let console = text.find("dev/console").unwrap();
    let header = &text[console - 110..console];
    assert_eq!(&header[14..22], "00002180");
    assert_eq!(&header[78..94], "0000000500000001");
    let init = text.find("init\0").unwrap();
    assert_eq!(&text[init - 110 + 14..init - 110 + 22], "000081ED");
    assert!(text.contains("\x7fELF1234"));
    assert!(text.ends_with("TRAILER!!!\0\0\0\0") || text.contains("TRAILER!!!\0"));
}

#[test]
fn civil_dates() {
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    assert_eq!(civil_from_days(20_415), (2025, 11, 23));
    assert_eq!(json_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
}

#[test]
fn the_quick_test_expects_every_exo_line_and_boots_the_quick_programs() {
    let (quick, waiting) = (crate::tests::bench::QUICK_LINES, crate::tests::bench::WAITING);
    // Every line but those waiting for another part of the work has landed on Exo: each is
    // printed by the quick boot, exactly once.
    for line in LINES.iter().filter(|line| !waiting.contains(&line.exo)) {
        assert_eq!(quick.iter().filter(|&&name| name == line.exo).count(), 1, "{}", line.exo);
    }
    assert!(waiting.iter().all(|name| LINES.iter().any(|line| line.exo == *name) && !quick.contains(name)));
    assert_eq!(quick.len() + waiting.len(), LINES.len());
    let test = &crate::tests::bench::BENCH[0];
    assert_eq!(EXO_QUICK_CMDLINE, format!("mode=test run={}", test.cmdline_run));
    let selected = select_lines(Some("pipe"));
    assert_eq!(selected.iter().map(|l| l.exo).collect::<Vec<_>>(), ["pipe", "pipe_4k"]);
    assert_eq!(select_lines(None).len(), LINES.len());
}

#[test]
fn stage_lines_parse_and_sort_into_stages() {
    let out = "noise\r\nSTAGES line=null_syscall total=217 runs=15\r\n\
               STAGE line=null_syscall from=u:begin to=k:syscall-saved ticks=42\r\n\
               [ 1.0] kernel log STAGE line=null_syscall from=k:syscall-saved to=k:fpu-saved ticks=23\r\n\
               STAGE line=null_syscall from=k:fpu-saved to=bad\r\n\
               STAGE line=pct from=k:leave to=k:syscall-saved ticks=70\r\n";
    let traced = parse_stages(out);
    let null = &traced["null_syscall"];
    assert_eq!((null.total, null.runs), (217.0, 15));
    assert_eq!(null.intervals, vec![
        ("u:begin".to_string(), "k:syscall-saved".to_string(), 42.0),
        ("k:syscall-saved".to_string(), "k:fpu-saved".to_string(), 23.0),
    ]);
    assert_eq!(traced["pct"].runs, 0, "a line with no STAGES header has no total");
    assert_eq!(stage_of("u:begin", "k:syscall-saved"), "entry");
    assert_eq!(stage_of("k:syscall-saved", "k:fpu-saved"), "entry");
    assert_eq!(stage_of("k:dispatch", "k:decoded"), "check");
    assert_eq!(stage_of("k:decoded", "k:checked"), "check");
    assert_eq!(stage_of("k:checked", "k:switched"), "work");
    assert_eq!(stage_of("k:done", "k:exit"), "exit");
    assert_eq!(stage_of("k:leave", "u:end"), "exit");
    assert_eq!(stage_of("k:leave", "k:syscall-saved"), "user code (the other side)");
    assert_eq!(stage_of("u:handler-entry", "u:handler-fpu-saved"), "library (ExOS handler)");
    assert_eq!(stage_of("u:handler-call", "k:syscall-saved"), "entry");
    assert_eq!(stage_of("u:begin", "u:end"), "user code");
}

/// One run's samples: (name, median) pairs, min = median.
fn samples(pairs: &[(&str, f64)]) -> BTreeMap<String, Sample> {
    pairs.iter().map(|&(name, median)| (name.to_string(), Sample { median, min: median, iters: 10 })).collect()
}

#[test]
fn exo_over_limit_comes_from_time_when_there_are_no_instruction_counts() {
    // A KVM host: time mode only.
    let mut results = Results { lines: select_lines(Some("null system call")), modes: vec![Mode::Time], ..Results::default() };
    results.column_mut(Side::Exo, Mode::Time).add_run(&samples(&[("null_syscall", 90.0), ("limit_syscall", 60.0)]), 1.0);
    results.column_mut(Side::LinuxGuest, Mode::Time).add_run(&samples(&[("null_syscall", 450.0)]), 1.0);
    assert_eq!(
        results.header(),
        ["primitive", "Exo time", "Linux guest time", "ratio", "Exo / limit (time)", "Linux native time"]
    );
    assert_eq!(results.rows()[0][1..5], ["90.0 ns", "450 ns", "5.0x", "1.5x"]);
    // Both modes, but the instruction boots failed: the limit column falls back to time too.
    results.modes = vec![Mode::Time, Mode::Instructions];
    results.column_mut(Side::Exo, Mode::Instructions).failure = Some("timed out".into());
    let header = results.header();
    assert_eq!(header[3..5], ["ratio", "Exo time"]);
    assert_eq!(header[7], "Exo / limit (time)");
    assert_eq!(results.rows()[0][7], "1.5x");
    // With instruction counts the column uses them, and sits after the instruction group.
    results.column_mut(Side::Exo, Mode::Instructions).add_run(&samples(&[("null_syscall", 300.0), ("limit_syscall", 100.0)]), 1.0);
    let header = results.header();
    assert_eq!(header[4], "Exo / limit (instr)");
    assert_eq!(header.iter().filter(|h| h.starts_with("Exo / limit")).count(), 1);
    assert_eq!(results.rows()[0][4], "3.0x");
    assert_eq!(results.limit_mode(), Some(Mode::Instructions));
}

#[test]
fn an_icount_run_shows_only_instruction_columns() {
    let mut results = Results { lines: select_lines(Some("fork")), modes: vec![Mode::Instructions], ..Results::default() };
    results.column_mut(Side::Exo, Mode::Instructions).add_run(&samples(&[("fork", 590_000.0), ("limit_syscall", 100.0)]), 1.0);
    results.column_mut(Side::LinuxGuest, Mode::Instructions).add_run(&samples(&[("fork", 1_180_000.0)]), 1.0);
    assert_eq!(
        results.header(),
        ["primitive", "Exo instr", "Linux guest instr", "ratio", "Exo / limit (instr)", "Linux native time"]
    );
    let rows = results.rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][1..5], ["590,000", "1,180,000", "2.0x", "5900x"]);
    assert_eq!(rows[0][5], "n/a (not run)");
    assert_eq!(results.table_modes(), [Mode::Instructions]);
    // Every row has as many cells as the header.
    let all = Results { lines: select_lines(None), ..Results::default() };
    assert!(all.rows().iter().all(|row| row.len() == all.header().len()));
}

#[test]
fn the_scale_section_needs_time_figures_and_turns_times_into_rates() {
    let mut results = Results::default();
    assert_eq!(report::scale_markdown(&results), None, "no time run, no section");
    let samples: BTreeMap<String, Sample> = [("env_create", 50_000.0), ("spawn", 2_000_000.0), ("touch_1g", 1.5e9)]
        .into_iter()
        .map(|(name, ns)| (name.to_string(), Sample { median: ns, min: ns, iters: 1 }))
        .collect();
    results.column_mut(Side::Exo, Mode::Time).add_run(&samples, 1.0);
    let doc = report::scale_markdown(&results).expect("a section");
    assert!(doc.contains("| 20000 per second | no such object |"), "{doc}");
    assert!(doc.contains("| 500 per second | not measured |"), "{doc}");
    assert!(doc.contains("| 1.50 s | not measured |"), "{doc}");
}
