//! `httpd PORT`: an HTTP/1.0 server of the file system, read-only. `GET` (and `HEAD`) of a file
//! answers 200 with its bytes; of a directory, an HTML listing linking each entry; of a missing
//! path, 404; any other method 405; a malformed request 400. One request per connection (the
//! connection closes after the answer); connections are served one after another, a client that
//! sends nothing for [`REQUEST_TIMEOUT_NS`] is dropped. Prints `httpd: listening on TCP port
//! PORT` once the port is claimed (`EADDRINUSE` if another program holds it), then a line per
//! request: `httpd: ADDR "METHOD PATH" STATUS BYTES`.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use exos::fs::fd::poll::{poll, PollFd, POLLHUP, POLLIN};
use exos::fs::fd;
use exos::net::fd as socket;
use exos::fs::{Errno, FileKind};
use exoscore::net::http::{self, Entry, HttpError};
use exoscore::net::show::ipv4;
use exoscore::net::url::parse_port;
use user::util;

const USAGE: &str = "httpd PORT";
/// How long a client has to send its request.
const REQUEST_TIMEOUT_NS: u64 = 5_000_000_000;

/// Reads the request head from `conn`: its bytes up to the blank line.
fn read_head(conn: u32) -> Result<Vec<u8>, Result<HttpError, Errno>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    let deadline = exos::sys::wait::now_ns() + REQUEST_TIMEOUT_NS;
    loop {
        if let Some(end) = http::head_end(&head).map_err(Ok)? {
            head.truncate(end);
            return Ok(head);
        }
        let left = deadline.saturating_sub(exos::sys::wait::now_ns());
        let mut fds = [PollFd::new(conn, POLLIN)];
        if left == 0 || poll(&mut fds, Some(left)).map_err(Err)? == 0 {
            return Err(Err(Errno::ETIMEDOUT));
        }
        if fds[0].revents & (POLLIN | POLLHUP) == 0 {
            continue;
        }
        match fd::read(conn, &mut buf).map_err(Err)? {
            0 => return Err(Err(Errno::ECONNRESET)),
            n => head.extend_from_slice(&buf[..n]),
        }
    }
}

/// The status, content type and body for `GET path`.
fn answer(path: &str) -> (u16, &'static str, Vec<u8>) {
    match exos::fs::stat(path) {
        Ok(stat) if stat.kind == FileKind::Dir => match exos::fs::readdir(path) {
            Ok(entries) => {
                let entries: Vec<Entry<'_>> =
                    entries.iter().map(|e| Entry { name: e.name, dir: e.stat.kind == FileKind::Dir, size: e.stat.size }).collect();
                (200, "text/html", http::listing(path, &entries).into_bytes())
            }
            Err(_) => (500, "text/html", http::error_body(500, path).into_bytes()),
        },
        Ok(_) => match util::read_input(path) {
            Ok(data) => (200, http::content_type(path), data),
            Err(_) => (500, "text/html", http::error_body(500, path).into_bytes()),
        },
        Err(Errno::ENOENT) | Err(Errno::ENOTDIR) => (404, "text/html", http::error_body(404, path).into_bytes()),
        Err(_) => (500, "text/html", http::error_body(500, path).into_bytes()),
    }
}

fn serve(conn: u32, peer: [u8; 4]) {
    let (method, path, (status, kind, body)) = match read_head(conn) {
        Ok(head) => match http::parse_request(&head) {
            Ok(request) if matches!(request.method, "GET" | "HEAD") => {
                let reply = answer(&request.path);
                (String::from(request.method), request.path, reply)
            }
            Ok(request) => (String::from(request.method), request.path.clone(), (405, "text/html", http::error_body(405, &request.path).into_bytes())),
            Err(_) => (String::from("-"), String::from("-"), (400, "text/html", http::error_body(400, "").into_bytes())),
        },
        Err(Ok(_)) => (String::from("-"), String::from("-"), (400, "text/html", http::error_body(400, "").into_bytes())),
        Err(Err(e)) => {
            exos::println!("httpd: {}: {e}", ipv4(peer));
            return;
        }
    };
    let head = http::response_head(status, kind, body.len());
    let mut result = fd::write_all(conn, head.as_bytes());
    if method != "HEAD" {
        result = result.and_then(|()| fd::write_all(conn, &body));
    }
    match result {
        Ok(()) => exos::println!("httpd: {} \"{method} {path}\" {status} {}", ipv4(peer), body.len()),
        Err(e) => exos::println!("httpd: {} \"{method} {path}\": {e}", ipv4(peer)),
    }
}

fn main() -> i64 {
    let args = util::operands();
    let [port] = args[..] else { return util::usage_error("httpd: one port expected", USAGE) };
    let Ok(port) = parse_port(port) else { return util::usage_error(&alloc::format!("httpd: bad port '{port}'"), USAGE) };
    let listener = match socket::tcp_listen(port) {
        Ok(l) => l,
        Err(e) => {
            exos::eprintln!("httpd: port {port}: {e}");
            return 1;
        }
    };
    exos::println!("httpd: listening on TCP port {port}");
    loop {
        match socket::accept(listener) {
            Ok((conn, peer, _)) => {
                serve(conn, peer);
                let _ = fd::close(conn);
            }
            Err(e) => {
                exos::eprintln!("httpd: accept: {e}");
                return 1;
            }
        }
    }
}

exos::main!(main);
