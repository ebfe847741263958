//! HTTP/1.0 for `httpd` and `wget`: finding the end of a head, parsing a request line and a
//! response's status and length, cleaning a request path, and building heads and directory
//! listings. One request per connection (the server closes after answering).
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// The longest head either side accepts; a longer one is refused (`HeadTooLong`).
pub const MAX_HEAD: usize = 8192;

/// Why a request or response head was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpError {
    /// The head is not complete within [`MAX_HEAD`] bytes.
    HeadTooLong,
    /// The request line is not `METHOD SP TARGET SP HTTP/x.y`.
    BadRequestLine,
    /// The target is not an absolute path, or has a bad `%` escape or a NUL.
    BadPath,
    /// The status line is not `HTTP/x.y SP CODE ...`.
    BadStatusLine,
    /// `Content-Length` is not a number.
    BadLength,
}

impl core::fmt::Display for HttpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            HttpError::HeadTooLong => "head too long",
            HttpError::BadRequestLine => "malformed request line",
            HttpError::BadPath => "malformed path",
            HttpError::BadStatusLine => "malformed status line",
            HttpError::BadLength => "malformed Content-Length",
        })
    }
}

/// Where the head in `buf` ends (the index just past its blank line), if it is complete;
/// `HeadTooLong` if it is not and `buf` holds [`MAX_HEAD`] bytes or more.
pub fn head_end(buf: &[u8]) -> Result<Option<usize>, HttpError> {
    let scan = &buf[..buf.len().min(MAX_HEAD)];
    for i in 0..scan.len() {
        if scan[i..].starts_with(b"\r\n\r\n") {
            return Ok(Some(i + 4));
        }
        if scan[i..].starts_with(b"\n\n") {
            return Ok(Some(i + 2));
        }
    }
    if buf.len() >= MAX_HEAD { Err(HttpError::HeadTooLong) } else { Ok(None) }
}

/// A parsed request line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The target, `%XX` decoded, query and fragment cut off, `.` and `..` resolved (never above `/`).
    pub path: String,
}

/// Parses the request line at the start of a complete head.
pub fn parse_request(head: &[u8]) -> Result<Request<'_>, HttpError> {
    let line_end = head.iter().position(|&b| b == b'\n').ok_or(HttpError::BadRequestLine)?;
    let line = core::str::from_utf8(&head[..line_end]).map_err(|_| HttpError::BadRequestLine)?;
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(HttpError::BadRequestLine);
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) || !version.starts_with("HTTP/") {
        return Err(HttpError::BadRequestLine);
    }
    Ok(Request { method, path: clean_path(target)? })
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// `target` as a file-system path: must start with `/`; query and fragment cut off; `%XX`
/// decoded; empty and `.` components dropped, `..` removes the previous one (never above `/`).
pub fn clean_path(target: &str) -> Result<String, HttpError> {
    let target = target.split(['?', '#']).next().unwrap_or("");
    if !target.starts_with('/') {
        return Err(HttpError::BadPath);
    }
    let raw = target.as_bytes();
    let mut decoded = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let (Some(&h), Some(&l)) = (raw.get(i + 1), raw.get(i + 2)) else { return Err(HttpError::BadPath) };
            let (Some(h), Some(l)) = (hex(h), hex(l)) else { return Err(HttpError::BadPath) };
            decoded.push(h << 4 | l);
            i += 3;
        } else {
            decoded.push(raw[i]);
            i += 1;
        }
    }
    let decoded = String::from_utf8(decoded).map_err(|_| HttpError::BadPath)?;
    if decoded.contains('\0') {
        return Err(HttpError::BadPath);
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in decoded.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let mut out = String::from("/");
    out.push_str(&parts.join("/"));
    Ok(out)
}

/// The reason phrase of the status codes the server sends.
pub fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        _ => "Unknown",
    }
}

/// A guess of the content type from the file name's extension.
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit('/').next().and_then(|name| name.rsplit_once('.')).map(|(_, e)| e);
    match ext {
        Some("html" | "htm") => "text/html",
        Some("txt" | "md" | "rs" | "toml" | "conf") => "text/plain",
        None => "text/plain",
        _ => "application/octet-stream",
    }
}

/// A response head: status line, `Content-Type`, `Content-Length`, `Connection: close`.
pub fn response_head(code: u16, content_type: &str, length: usize) -> String {
    format!(
        "HTTP/1.0 {code} {}\r\nServer: exo-httpd\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n",
        reason(code)
    )
}

/// A small HTML page for an error status.
pub fn error_body(code: u16, path: &str) -> String {
    format!("<html><body><h1>{code} {}</h1><p>{}</p></body></html>\n", reason(code), escape(path))
}

/// `text` with `&`, `<`, `>` and `"` escaped for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// One entry of a directory listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    pub name: &'a str,
    pub dir: bool,
    pub size: u64,
}

/// An HTML listing of directory `path` (already clean) with a link per entry (directories end
/// in `/`) and each file's size.
pub fn listing(path: &str, entries: &[Entry<'_>]) -> String {
    let title = escape(path);
    let base = if path.ends_with('/') { String::from(path) } else { format!("{path}/") };
    let mut out = format!("<html><head><title>Index of {title}</title></head><body>\n<h1>Index of {title}</h1>\n<ul>\n");
    if path != "/" {
        out.push_str(&format!("<li><a href=\"{}..\">../</a></li>\n", escape(&base)));
    }
    for entry in entries {
        let slash = if entry.dir { "/" } else { "" };
        let name = escape(entry.name);
        let size = if entry.dir { String::new() } else { format!(" {} bytes", entry.size) };
        out.push_str(&format!("<li><a href=\"{}{name}{slash}\">{name}{slash}</a>{size}</li>\n", escape(&base)));
    }
    out.push_str("</ul>\n</body></html>\n");
    out
}

/// A GET request for `path` on `host` (HTTP/1.0, the connection closed after the answer).
pub fn get_request(host: &str, port: u16, path: &str) -> String {
    let host = if port == 80 { String::from(host) } else { format!("{host}:{port}") };
    format!("GET {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: exo-wget/1.0\r\nAccept: */*\r\nConnection: close\r\n\r\n")
}

/// A response's status code and `Content-Length` (if given).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub length: Option<usize>,
}

/// Parses a complete response head.
pub fn parse_response(head: &[u8]) -> Result<Response, HttpError> {
    let text = core::str::from_utf8(head).map_err(|_| HttpError::BadStatusLine)?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let status_line = lines.next().ok_or(HttpError::BadStatusLine)?;
    let mut parts = status_line.splitn(3, ' ');
    let (Some(version), Some(code)) = (parts.next(), parts.next()) else { return Err(HttpError::BadStatusLine) };
    if !version.starts_with("HTTP/") || code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HttpError::BadStatusLine);
    }
    let status = code.parse().map_err(|_| HttpError::BadStatusLine)?;
    let mut length = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = Some(value.trim().parse().map_err(|_| HttpError::BadLength)?);
        }
    }
    Ok(Response { status, length })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_end_at_the_blank_line() {
        assert_eq!(head_end(b"GET / HTTP/1.0\r\nHost: x\r\n\r\nbody"), Ok(Some(27)));
        assert_eq!(head_end(b"GET / HTTP/1.0\n\n"), Ok(Some(16)));
        assert_eq!(head_end(b"GET / HTTP/1.0\r\nHost: x\r\n"), Ok(None));
        assert_eq!(head_end(&[b'a'; MAX_HEAD]), Err(HttpError::HeadTooLong));
    }

    #[test]
    fn requests() {
        let r = parse_request(b"GET /etc/motd HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!((r.method, r.path.as_str()), ("GET", "/etc/motd"));
        let r = parse_request(b"HEAD /a/../b/./c%20d?x=1 HTTP/1.0\r\n\r\n").unwrap();
        assert_eq!((r.method, r.path.as_str()), ("HEAD", "/b/c d"));
        assert_eq!(parse_request(b"GET /../../etc HTTP/1.0\r\n\r\n").unwrap().path, "/etc");
        assert_eq!(parse_request(b"GET / HTTP/1.0\r\n\r\n").unwrap().path, "/");
        for bad in [&b"GET /\r\n\r\n"[..], b"GET  / HTTP/1.0\r\n", b"get / HTTP/1.0\r\n", b"GET / FTP\r\n", b"GET / HTTP/1.0 x\r\n", b"no newline"] {
            assert_eq!(parse_request(bad), Err(HttpError::BadRequestLine), "{:?}", core::str::from_utf8(bad));
        }
        for bad in [&b"GET x HTTP/1.0\r\n"[..], b"GET /%zz HTTP/1.0\r\n", b"GET /%4 HTTP/1.0\r\n", b"GET /%00 HTTP/1.0\r\n", b"GET /%ff HTTP/1.0\r\n"] {
            assert_eq!(parse_request(bad), Err(HttpError::BadPath), "{:?}", core::str::from_utf8(bad));
        }
    }

    #[test]
    fn heads_and_bodies() {
        let head = response_head(404, "text/html", 12);
        assert!(head.starts_with("HTTP/1.0 404 Not Found\r\n"));
        assert!(head.contains("Content-Length: 12\r\n"));
        assert!(head.ends_with("\r\n\r\n"));
        assert_eq!(content_type("/etc/motd"), "text/plain");
        assert_eq!(content_type("/a.html"), "text/html");
        assert_eq!(content_type("/bin/sh"), "text/plain");
        assert_eq!(content_type("/x.bin"), "application/octet-stream");
        assert_eq!(escape("<a&\">"), "&lt;a&amp;&quot;&gt;");
        assert!(error_body(404, "/<x>").contains("404 Not Found</h1><p>/&lt;x&gt;"));
    }

    #[test]
    fn listings_link_every_entry() {
        let page = listing("/etc", &[Entry { name: "motd", dir: false, size: 42 }, Entry { name: "sub", dir: true, size: 0 }]);
        assert!(page.contains("<title>Index of /etc</title>"));
        assert!(page.contains("<li><a href=\"/etc/motd\">motd</a> 42 bytes</li>"));
        assert!(page.contains("<li><a href=\"/etc/sub/\">sub/</a></li>"));
        assert!(page.contains("href=\"/etc/..\""));
        assert!(!listing("/", &[]).contains(".."));
    }

    #[test]
    fn responses() {
        let head = b"HTTP/1.0 200 OK\r\nServer: x\r\ncontent-length: 1234\r\n\r\n";
        assert_eq!(parse_response(head), Ok(Response { status: 200, length: Some(1234) }));
        assert_eq!(parse_response(b"HTTP/1.1 404 Not Found\r\n\r\n"), Ok(Response { status: 404, length: None }));
        assert_eq!(parse_response(b"HTTP/1.0 2000 OK\r\n\r\n"), Err(HttpError::BadStatusLine));
        assert_eq!(parse_response(b"FTP 200 OK\r\n\r\n"), Err(HttpError::BadStatusLine));
        assert_eq!(parse_response(b"HTTP/1.0 200 OK\r\nContent-Length: x\r\n\r\n"), Err(HttpError::BadLength));
        assert_eq!(get_request("10.0.2.2", 8000, "/f"), "GET /f HTTP/1.0\r\nHost: 10.0.2.2:8000\r\nUser-Agent: exo-wget/1.0\r\nAccept: */*\r\nConnection: close\r\n\r\n");
    }
}
