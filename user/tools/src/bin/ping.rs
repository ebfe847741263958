//! `ping [-c COUNT] [-i SECONDS] [-s SIZE] [-W SECONDS] ADDRESS`: ICMP echo requests from this
//! program's own stack (an ICMP identifier claimed from the kernel), one every interval (1 s by
//! default), each reply printed as Linux's iputils does; after COUNT requests (default 4) the
//! statistics: `N packets transmitted, M received, P% packet loss, time T ms` and the round-trip
//! times. Exit status 0 if any reply came, 1 if none, 2 on a usage error. Ctrl-C ends it early
//! (with the statistics of what was sent).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use exos::fs::fd;
use exos::net::fd as socket;
use exos::fs::Errno;
use exos::sys::wait::now_ns;
use exoscore::net::ping::{self, Stats};
use exoscore::net::url::parse_ipv4;
use user::util;

const USAGE: &str = "ping [-c COUNT] [-i SECONDS] [-s SIZE] [-W SECONDS] ADDRESS";

/// Milliseconds in a decimal number of seconds (`1`, `0.2`).
fn millis(text: &str) -> Option<u64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) || (whole.is_empty() && fraction.is_empty()) {
        return None;
    }
    let mut ms: u64 = if whole.is_empty() { 0 } else { whole.parse::<u64>().ok()?.checked_mul(1000)? };
    for (i, b) in fraction.bytes().enumerate() {
        ms += u64::from(b - b'0') * [100, 10, 1][i];
    }
    Some(ms)
}

struct Options {
    count: u32,
    interval_ms: u64,
    size: usize,
    wait_ms: u64,
    to: [u8; 4],
}

fn options() -> Result<Options, alloc::string::String> {
    let args = util::operands();
    let mut o = Options { count: 4, interval_ms: 1000, size: 56, wait_ms: 2000, to: [0; 4] };
    let mut target = None;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i];
        let mut value = || {
            i += 1;
            args.get(i).copied().ok_or_else(|| alloc::format!("ping: option {arg} needs a value"))
        };
        match arg {
            "-c" => o.count = value()?.parse().ok().filter(|&c| c > 0).ok_or("ping: bad count")?,
            "-i" => o.interval_ms = millis(value()?).filter(|&ms| ms >= 10).ok_or("ping: bad interval (at least 0.01)")?,
            "-W" => o.wait_ms = millis(value()?).filter(|&ms| ms > 0).ok_or("ping: bad timeout")?,
            "-s" => o.size = value()?.parse().ok().filter(|&s| s <= 1472).ok_or("ping: bad packet size (0-1472)")?,
            other if other.starts_with('-') => return Err(alloc::format!("ping: unknown option {other}")),
            other if target.is_none() => target = Some(other),
            _ => return Err("ping: one address expected".into()),
        }
        i += 1;
    }
    let target = target.ok_or("ping: an address is needed")?;
    o.to = parse_ipv4(target).map_err(|e| alloc::format!("ping: {target}: {e}"))?;
    Ok(o)
}

fn main() -> i64 {
    let o = match options() {
        Ok(o) => o,
        Err(message) => return util::usage_error(&message, USAGE),
    };
    let (sock, ident) = match socket::icmp_open() {
        Ok(s) => s,
        Err(e) => {
            exos::eprintln!("ping: {e}");
            return 2;
        }
    };
    util::out(alloc::format!("{}\n", ping::header(o.to, o.size)).as_bytes());
    let start = now_ns();
    let mut stats = Stats::default();
    let mut buf = [0u8; 1600];
    for seq in 1..=o.count {
        let seq = seq as u16;
        let sent_at = now_ns();
        if let Err(e) = socket::icmp_send(sock, &ping::echo_request(ident, seq, sent_at, o.size), o.to) {
            exos::eprintln!("ping: sendmsg: {e}");
        }
        stats.transmitted += 1;
        // Wait for this request's reply until the next is due (the last: up to the timeout).
        let last = u32::from(seq) == o.count;
        let next = sent_at + if last { o.wait_ms } else { o.interval_ms } * 1_000_000;
        loop {
            match socket::icmp_recv(sock, &mut buf, Some(next)) {
                Ok((n, from)) => {
                    let now = now_ns();
                    let Some(reply) = ping::parse_reply(&buf[..n]).filter(|r| r.ident == ident) else { continue };
                    let rtt_us = (now - reply.stamp_ns.filter(|&t| t <= now).unwrap_or(sent_at)) / 1000;
                    stats.rtts_us.push(rtt_us);
                    util::out(alloc::format!("{}\n", ping::reply_line(reply.len, from, reply.seq, rtt_us)).as_bytes());
                    if reply.seq == seq {
                        break;
                    }
                }
                Err(Errno::ETIMEDOUT) => break,
                Err(e) => {
                    exos::eprintln!("ping: {e}");
                    break;
                }
            }
        }
        if !last {
            exos::sys::wait::sleep_until(next, || {
                exos::proc::process::check_signals();
                false
            });
        }
    }
    let _ = fd::close(sock);
    let elapsed = now_ns() - start;
    util::out(alloc::format!("\n{}", stats.summary(o.to, elapsed / 1000)).as_bytes());
    if stats.rtts_us.is_empty() { 1 } else { 0 }
}

exos::main!(main);
