//! `wget [-O FILE] URL`: fetches `http://ADDRESS[:PORT]/PATH` over this program's own TCP stack
//! (HTTP/1.0 GET) and saves the body to FILE (default: the last path component, under the
//! working directory; `-O -` writes it to stdout). Prints `HTTP request sent, awaiting response...
//! STATUS`, `wget: received N bytes in T ms (R MB/s)` and `saved N bytes to FILE` on stderr. Only IPv4 addresses (no name lookups). Exit
//! status 0 on a 2xx answer with the whole body, 8 on another status (as GNU wget), 4 on a
//! network error, 2 on a usage error.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use exos::fs::fd::{self, O_CREAT, O_TRUNC, O_WRONLY};
use exos::net::fd as socket;
use exos::fs::Errno;
use exoscore::net::http;
use exoscore::net::url::{parse_ipv4, Url};
use user::util;

const USAGE: &str = "wget [-O FILE] URL";

/// Where the body goes.
enum Sink {
    Stdout,
    File(u32),
}

impl Sink {
    fn write(&self, data: &[u8]) -> Result<(), Errno> {
        match self {
            Sink::Stdout => {
                util::out(data);
                Ok(())
            }
            Sink::File(fd) => fd::write_all(*fd, data),
        }
    }
}

/// Why a fetch failed, and the exit status for it.
struct Failure(i64, alloc::string::String);

/// Fetches `url` from `addr`, streaming the body into the sink `open` makes once a 2xx head came;
/// returns the status and the body's length.
fn fetch(url: &Url<'_>, addr: [u8; 4], open: impl FnOnce() -> Result<Sink, Failure>) -> Result<(u16, u64), Failure> {
    let net = |e: Errno| Failure(4, alloc::format!("{e}"));
    let conn = socket::tcp_connect(addr, url.port).map_err(|e| Failure(4, alloc::format!("connecting to {}:{}: {e}", url.host, url.port)))?;
    let result = (|| {
        fd::write_all(conn, http::get_request(url.host, url.port, url.path).as_bytes()).map_err(net)?;
        exos::eprintln!("HTTP request sent, awaiting response...");
        let mut head = Vec::new();
        let mut buf = alloc::vec![0u8; 16 * 1024];
        let end = loop {
            if let Some(end) = http::head_end(&head).map_err(|e| Failure(4, alloc::format!("{e}")))? {
                break end;
            }
            match fd::read(conn, &mut buf).map_err(net)? {
                0 => return Err(Failure(4, "the connection closed before a complete head".into())),
                n => head.extend_from_slice(&buf[..n]),
            }
        };
        let response = http::parse_response(&head[..end]).map_err(|e| Failure(4, alloc::format!("{e}")))?;
        exos::eprintln!("{} {}", response.status, http::reason(response.status));
        if !(200..300).contains(&response.status) {
            return Err(Failure(8, alloc::format!("ERROR {}", response.status)));
        }
        let sink = open()?;
        let write = |data: &[u8]| sink.write(data).map_err(|e| Failure(1, alloc::format!("writing: {e}")));
        let mut got = (head.len() - end) as u64;
        write(&head[end..])?;
        loop {
            match fd::read(conn, &mut buf).map_err(net)? {
                0 => break,
                n => {
                    got += n as u64;
                    write(&buf[..n])?;
                }
            }
        }
        if let Sink::File(fd) = sink {
            let _ = fd::close(fd);
        }
        match response.length {
            Some(length) if length as u64 != got => Err(Failure(4, alloc::format!("body of {got} bytes, {length} announced"))),
            _ => Ok((response.status, got)),
        }
    })();
    let _ = fd::close(conn);
    result
}

fn main() -> i64 {
    let args = util::operands();
    let (out, url) = match args[..] {
        ["-O", out, url] => (Some(out), url),
        [url] => (None, url),
        _ => return util::usage_error("wget: one URL expected", USAGE),
    };
    let url = match Url::parse(url) {
        Ok(u) => u,
        Err(e) => return util::usage_error(&alloc::format!("wget: {url}: {e}"), USAGE),
    };
    let Ok(addr) = parse_ipv4(url.host) else {
        exos::eprintln!("wget: {}: only IPv4 addresses are supported (no name lookups)", url.host);
        return 4;
    };
    let target = out.unwrap_or(url.file_name());
    let open = || {
        if target == "-" {
            return Ok(Sink::Stdout);
        }
        let path = util::resolve(target);
        match fd::open(&path, O_WRONLY | O_CREAT | O_TRUNC) {
            Ok(fd) => Ok(Sink::File(fd)),
            Err(e) => Err(Failure(1, alloc::format!("{path}: {e}"))),
        }
    };
    let start = exos::sys::wait::now_ns();
    match fetch(&url, addr, open) {
        Ok((_, len)) => {
            let ns = (exos::sys::wait::now_ns() - start).max(1);
            let kb_s = len * 1_000_000 / ns;
            exos::eprintln!("wget: received {len} bytes in {} ms ({}.{:03} MB/s)", ns / 1_000_000, kb_s / 1000, kb_s % 1000);
            if target != "-" {
                exos::eprintln!("saved {len} bytes to {}", util::resolve(target));
            }
            0
        }
        Err(Failure(status, message)) => {
            exos::eprintln!("wget: {message}");
            status
        }
    }
}

exos::main!(main);
