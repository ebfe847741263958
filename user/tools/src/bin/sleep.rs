//! `sleep SECONDS`: waits SECONDS (a decimal number, up to 3 fractional digits: `1`, `0.5`) by the
//! kernel's clock (nanoseconds since boot), sleeping in `env_wait` with a deadline, so it costs no
//! CPU (the CPU halts if nothing else runs); a signal (`kill`, Ctrl-C) wakes it and is acted on.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use user::util;

const USAGE: &str = "sleep SECONDS";

/// Milliseconds in a decimal number of seconds (`2`, `1.25`); `None` if malformed.
fn millis(text: &str) -> Option<u64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) || fraction.len() > 3 {
        return None;
    }
    let seconds: u64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let mut thousandths = 0;
    for (i, b) in fraction.bytes().enumerate() {
        thousandths += u64::from(b - b'0') * [100, 10, 1][i];
    }
    seconds.checked_mul(1000)?.checked_add(thousandths)
}

fn main() -> i64 {
    let parsed = match util::options("sleep", "", false, USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let [operand] = parsed.operands[..] else {
        return util::usage_error("sleep: one operand expected", USAGE);
    };
    let Some(ms) = millis(operand) else {
        return util::usage_error(&alloc::format!("sleep: invalid time '{operand}'"), USAGE);
    };
    exos::proc::process::sleep_ms(ms);
    0
}

exos::main!(main);
