//! `wget [-O FILE] URL`: fetches `http://ADDRESS[:PORT]/PATH` over this program's own TCP stack
//! (HTTP/1.0 GET) and saves the body to FILE (default: the last path component, under the
//! working directory; `-O -` writes it to stdout). Prints `HTTP request sent, awaiting response...
//! STATUS` and `saved N bytes to FILE` on stderr. Only IPv4 addresses (no name lookups). Exit
//! status 0 on a 2xx answer with the whole body, 8 on another status (as GNU wget), 4 on a
//! network error, 2 on a usage error.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use exos::fs::fd::{self, socket, O_CREAT, O_TRUNC, O_WRONLY};
use exos::fs::Errno;
use exoscore::net::http;
use exoscore::net::url::{parse_ipv4, Url};
use user::util;

const USAGE: &str = "wget [-O FILE] URL";

fn fetch(url: &Url<'_>, addr: [u8; 4]) -> Result<(http::Response, Vec<u8>), alloc::string::String> {
    let conn = socket::tcp_connect(addr, url.port).map_err(|e| alloc::format!("connecting to {}:{}: {e}", url.host, url.port))?;
    let sent = fd::write_all(conn, http::get_request(url.host, url.port, url.path).as_bytes());
    exos::eprintln!("HTTP request sent, awaiting response...");
    let mut data = Vec::new();
    let mut buf = alloc::vec![0u8; 16 * 1024];
    let read: Result<(), Errno> = sent.and_then(|()| loop {
        match fd::read(conn, &mut buf)? {
            0 => break Ok(()),
            n => data.extend_from_slice(&buf[..n]),
        }
    });
    let _ = fd::close(conn);
    read.map_err(|e| alloc::format!("{e}"))?;
    let end = http::head_end(&data).map_err(|e| alloc::format!("{e}"))?.ok_or("the answer has no complete head")?;
    let response = http::parse_response(&data[..end]).map_err(|e| alloc::format!("{e}"))?;
    let body = data.split_off(end);
    if let Some(length) = response.length
        && body.len() != length
    {
        return Err(alloc::format!("body of {} bytes, {length} announced", body.len()));
    }
    Ok((response, body))
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
    let (response, body) = match fetch(&url, addr) {
        Ok(r) => r,
        Err(message) => {
            exos::eprintln!("wget: {message}");
            return 4;
        }
    };
    exos::eprintln!("{} {}", response.status, http::reason(response.status));
    if !(200..300).contains(&response.status) {
        exos::eprintln!("wget: ERROR {}", response.status);
        return 8;
    }
    let target = out.unwrap_or(url.file_name());
    if target == "-" {
        util::out(&body);
    } else {
        let path = util::resolve(target);
        let saved = fd::open(&path, O_WRONLY | O_CREAT | O_TRUNC).and_then(|f| {
            let r = fd::write_all(f, &body);
            let _ = fd::close(f);
            r
        });
        if let Err(e) = saved {
            util::report("wget", &path, e);
            return 1;
        }
        exos::eprintln!("saved {} bytes to {path}", body.len());
    }
    0
}

exos::main!(main);
