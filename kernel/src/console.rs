//! Kernel output: the `kprintln!` macro for lines everyone reads (the `exo:` lines tests match) and
//! a `log` backend with levels for the boot log (`log=` on the command line).
//!
//! Log lines look like `[  12.345] INFO  mem: 250 MiB usable`: milliseconds since kernel entry,
//! level, module, message. Until the TSC is calibrated (the LAPIC timer's setup) the time is
//! unknown and the lines show `[   -.---]` instead of a wrong figure.
use crate::arch::x86_64::{cpu, lapic, serial};
use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};

/// Prints a line on the console.
#[macro_export]
macro_rules! kprintln {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($crate::arch::x86_64::serial::Console, $($arg)*);
    }};
}

static ENTRY_TSC: AtomicU64 = AtomicU64::new(0);

/// The TSC value at kernel entry (read by the 32-bit boot stub).
pub fn entry_tsc() -> u64 {
    ENTRY_TSC.load(Ordering::Relaxed)
}

struct Logger;

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let mut out = serial::Console;
        let _ = if lapic::tsc_calibrated() {
            let us = lapic::cycles_to_us(cpu::rdtsc() - entry_tsc());
            write!(out, "[{:4}.{:03}] ", us / 1000, us % 1000)
        } else {
            out.write_str("[   -.---] ")
        };
        let _ = writeln!(out, "{:5} {}: {}", record.level(), record.target().trim_start_matches("kernel::"), record.args());
    }

    fn flush(&self) {}
}

static LOGGER: Logger = Logger;

/// Starts the console and the logger at `Info`.
pub fn init(entry_tsc: u64) {
    ENTRY_TSC.store(entry_tsc, Ordering::Relaxed);
    serial::init();
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(log::LevelFilter::Info);
}

/// Sets the log level from the command line.
pub fn set_level(level: kcore::cmdline::LogLevel) {
    use kcore::cmdline::LogLevel as L;
    log::set_max_level(match level {
        L::Error => log::LevelFilter::Error,
        L::Warn => log::LevelFilter::Warn,
        L::Info => log::LevelFilter::Info,
        L::Debug => log::LevelFilter::Debug,
        L::Trace => log::LevelFilter::Trace,
    });
}
