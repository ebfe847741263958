//! Dotted IPv4 addresses, `HOST:PORT` endpoints and `http://HOST[:PORT]/PATH` URLs, parsed
//! without allocation and with a precise reason for what is wrong.

/// Why an address, endpoint or URL was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlError {
    /// Not four decimal octets 0-255 separated by dots.
    BadAddress,
    /// The port is missing, not a number, 0 or above 65535.
    BadPort,
    /// The URL does not start with `http://` (the only scheme the client speaks).
    UnsupportedScheme,
    /// The host part of the URL is empty.
    NoHost,
}

impl core::fmt::Display for UrlError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            UrlError::BadAddress => "not an IPv4 address",
            UrlError::BadPort => "bad port number",
            UrlError::UnsupportedScheme => "only http:// URLs are supported",
            UrlError::NoHost => "no host in URL",
        })
    }
}

/// `a.b.c.d` as four octets.
pub fn parse_ipv4(text: &str) -> Result<[u8; 4], UrlError> {
    let mut out = [0u8; 4];
    let mut parts = text.split('.');
    for octet in out.iter_mut() {
        let part = parts.next().ok_or(UrlError::BadAddress)?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(UrlError::BadAddress);
        }
        *octet = part.parse::<u16>().ok().and_then(|v| u8::try_from(v).ok()).ok_or(UrlError::BadAddress)?;
    }
    if parts.next().is_some() {
        return Err(UrlError::BadAddress);
    }
    Ok(out)
}

/// A port 1-65535.
pub fn parse_port(text: &str) -> Result<u16, UrlError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UrlError::BadPort);
    }
    match text.parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) => Ok(p as u16),
        _ => Err(UrlError::BadPort),
    }
}

/// A parsed `http://` URL: the host as written (an IPv4 address or a name), the port (80 when
/// absent) and the path (`/` when absent), query included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Url<'a> {
    pub host: &'a str,
    pub port: u16,
    pub path: &'a str,
}

impl<'a> Url<'a> {
    /// Parses `http://HOST[:PORT][/PATH]`.
    pub fn parse(text: &'a str) -> Result<Url<'a>, UrlError> {
        let rest = text.strip_prefix("http://").ok_or(UrlError::UnsupportedScheme)?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rfind(':') {
            Some(i) => (&authority[..i], parse_port(&authority[i + 1..])?),
            None => (authority, 80),
        };
        if host.is_empty() {
            return Err(UrlError::NoHost);
        }
        Ok(Url { host, port, path })
    }

    /// The last path component (query cut off), for a file name to save to; `index.html` for a
    /// path ending in `/`.
    pub fn file_name(&self) -> &'a str {
        let path = self.path.split(['?', '#']).next().unwrap_or("");
        match path.rsplit('/').next() {
            Some(name) if !name.is_empty() => name,
            _ => "index.html",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(parse_ipv4("10.0.2.2"), Ok([10, 0, 2, 2]));
        assert_eq!(parse_ipv4("255.255.255.0"), Ok([255, 255, 255, 0]));
        for bad in ["", "10.0.2", "10.0.2.2.1", "10.0.2.256", "10..2.2", "a.b.c.d", "10.0.2.-1", "1000.0.0.1"] {
            assert_eq!(parse_ipv4(bad), Err(UrlError::BadAddress), "{bad}");
        }
    }

    #[test]
    fn ports() {
        assert_eq!(parse_port("80"), Ok(80));
        assert_eq!(parse_port("65535"), Ok(65535));
        for bad in ["", "0", "65536", "-1", "8o", "99999999999"] {
            assert_eq!(parse_port(bad), Err(UrlError::BadPort), "{bad}");
        }
    }

    #[test]
    fn urls() {
        assert_eq!(Url::parse("http://10.0.2.2:8000/a/b.txt"), Ok(Url { host: "10.0.2.2", port: 8000, path: "/a/b.txt" }));
        assert_eq!(Url::parse("http://10.0.2.2"), Ok(Url { host: "10.0.2.2", port: 80, path: "/" }));
        assert_eq!(Url::parse("http://h/x?y=1"), Ok(Url { host: "h", port: 80, path: "/x?y=1" }));
        assert_eq!(Url::parse("https://h/"), Err(UrlError::UnsupportedScheme));
        assert_eq!(Url::parse("http://:80/"), Err(UrlError::NoHost));
        assert_eq!(Url::parse("http://h:0/"), Err(UrlError::BadPort));
        assert_eq!(Url::parse("http://h:x/"), Err(UrlError::BadPort));
    }

    #[test]
    fn file_names() {
        assert_eq!(Url::parse("http://h/a/b.txt?q").unwrap().file_name(), "b.txt");
        assert_eq!(Url::parse("http://h/a/").unwrap().file_name(), "index.html");
        assert_eq!(Url::parse("http://h").unwrap().file_name(), "index.html");
    }
}
