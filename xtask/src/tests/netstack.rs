//! The library OS's networking (issue 18, ExOS side) seen from the host: each test boots Exo
//! with a NIC on QEMU's
//! user-mode network (guest 10.0.2.15 by DHCP, gateway 10.0.2.2) and talks to it only through
//! that gateway and host loopback (NETWORK.md §6): `ping` of the gateway, `curl` of `httpd`
//! through a TCP forward, a UDP datagram to `udpecho` through a UDP forward, a 16 MiB TCP stream
//! into `nc -l | cksum` compared with the host's checksum, two servers in two environments at
//! once, and `wget` from a host `python3 -m http.server` on 127.0.0.1 (reached as 10.0.2.2).
//!
//! `net_sockets` runs `netsock` (user/tests), the socket and `poll` calls' errors and edge cases
//! through the real kernel.
//!
//! Host ports: each test forwards its own fixed ports of the 47100-47199 range (so tests running
//! at once never share one); the `wget` test's server takes a port the host's kernel picks.
use super::{checks, IntegrationTest};
use crate::pty::Pty;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, UdpSocket};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one step may take (a boot under TCG, DHCP, a connection).
const STEP: Duration = Duration::from_secs(30);
/// The prompt at the root directory.
const PROMPT: &str = "exo:/$ ";
/// The boot archive's `/etc/motd`.
const MOTD: &str = crate::bootfs::MOTD;

const HTTPD_PORT: u16 = 47180;
const UDPECHO_PORT: u16 = 47181;
const STREAM_PORT: u16 = 47182;
const TWO_HTTP_PORT: u16 = 47183;
const TWO_UDP_PORT: u16 = 47184;

/// Bytes of the TCP stream test.
const STREAM_BYTES: usize = 16 << 20;

/// Waits for the welcome text, the DHCP line and the prompt.
fn boot_shell(t: &mut Pty) -> Result<(), String> {
    t.expect("net: eth0 10.0.2.15/24 gateway 10.0.2.2 (DHCP)", STEP)?;
    t.expect("Welcome to Exo, an exokernel.", STEP)?;
    t.expect(PROMPT, STEP).map(drop)
}

/// Types `line`, waits for the next prompt and returns what was printed in between.
fn run(t: &mut Pty, line: &str) -> Result<String, String> {
    t.type_line(line)?;
    t.expect(PROMPT, STEP)
}

/// Ends the session: kills the shell's background jobs and exits it (QEMU then ends).
fn finish(t: &mut Pty, jobs: usize) -> Result<(), String> {
    for job in 1..=jobs {
        run(t, &format!("kill %{job}"))?;
    }
    t.type_line("exit")
}

/// `curl -sS` of `url` from the host: the status code and the body.
fn curl(url: &str) -> Result<(u16, Vec<u8>), String> {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "30", "-o", "-", "-w", "\n%{http_code}", url])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running curl: {e}"))?;
    if !out.status.success() {
        return Err(format!("curl {url}: {} {}", out.status, String::from_utf8_lossy(&out.stderr)));
    }
    let text = out.stdout;
    let cut = text.iter().rposition(|&b| b == b'\n').ok_or("curl printed no status")?;
    let code = std::str::from_utf8(&text[cut + 1..]).ok().and_then(|c| c.trim().parse().ok()).ok_or("curl's status is not a number")?;
    Ok((code, text[..cut].to_vec()))
}

/// `httpd` seen from the host through forwarded port `port`: 200 with `/etc/motd`'s bytes, 404
/// for a missing path, a listing of `/etc` linking `motd`.
fn check_httpd(port: u16) -> Result<(), String> {
    let base = format!("http://127.0.0.1:{port}");
    let (code, body) = curl(&format!("{base}/etc/motd"))?;
    if code != 200 || body != MOTD.as_bytes() {
        return Err(format!("GET /etc/motd: {code} {:?}", String::from_utf8_lossy(&body)));
    }
    let (code, body) = curl(&format!("{base}/no/such/file"))?;
    if code != 404 || !String::from_utf8_lossy(&body).contains("404 Not Found") {
        return Err(format!("GET /no/such/file: {code} {:?}", String::from_utf8_lossy(&body)));
    }
    let (code, body) = curl(&format!("{base}/etc/"))?;
    let page = String::from_utf8_lossy(&body);
    if code != 200 || !page.contains("Index of /etc") || !page.contains("<a href=\"/etc/motd\">motd</a>") {
        return Err(format!("GET /etc/: {code} {page:?}"));
    }
    Ok(())
}

/// A datagram to `udpecho` through forwarded port `port` comes back unchanged (a few tries: the
/// first may wait on ARP inside the guest).
fn check_udpecho(port: u16) -> Result<(), String> {
    let socket = UdpSocket::bind("127.0.0.1:0").map_err(|e| format!("udp bind: {e}"))?;
    socket.set_read_timeout(Some(Duration::from_secs(3))).map_err(|e| e.to_string())?;
    let message = format!("hello exo {}", std::process::id());
    let mut buf = [0u8; 2048];
    for _ in 0..5 {
        socket.send_to(message.as_bytes(), ("127.0.0.1", port)).map_err(|e| format!("udp send: {e}"))?;
        if let Ok((n, _)) = socket.recv_from(&mut buf) {
            return if &buf[..n] == message.as_bytes() {
                Ok(())
            } else {
                Err(format!("udpecho answered {:?}", String::from_utf8_lossy(&buf[..n])))
            };
        }
    }
    Err("no echo from udpecho".into())
}

fn drive_ping(t: &mut Pty) -> Result<(), String> {
    boot_shell(t)?;
    let out = run(t, "ping -c 3 10.0.2.2")?;
    for needle in ["PING 10.0.2.2 (10.0.2.2) 56(84) bytes of data.", "icmp_seq=1 time=", "icmp_seq=3 time=", "3 packets transmitted, 3 received, 0% packet loss", "rtt min/avg/max/mdev = "] {
        if !out.contains(needle) {
            return Err(format!("ping printed no `{needle}`: {out:?}"));
        }
    }
    let out = run(t, "ifconfig")?;
    for needle in ["inet 10.0.2.15  netmask 255.255.255.0", "gateway 10.0.2.2", "ether 52:54:00:"] {
        if !out.contains(needle) {
            return Err(format!("ifconfig printed no `{needle}`: {out:?}"));
        }
    }
    // Bad input gets a precise error and status 2 (and sends nothing).
    let out = run(t, "ping -c 1 10.0.2.256; echo status $?")?;
    if !out.contains("ping: 10.0.2.256: not an IPv4 address") || !out.contains("status 2") {
        return Err(format!("ping of a malformed address: {out:?}"));
    }
    finish(t, 0)
}

fn drive_httpd(t: &mut Pty) -> Result<(), String> {
    boot_shell(t)?;
    run(t, "httpd 80 &")?;
    t.expect("httpd: listening on TCP port 80", STEP)?;
    check_httpd(HTTPD_PORT)?;
    t.expect("\"GET /etc/motd\" 200", STEP)?;
    // The port is this environment's: a second server cannot claim it.
    let out = run(t, "httpd 80")?;
    if !out.contains("httpd: port 80: EADDRINUSE") {
        return Err(format!("a second httpd on port 80: {out:?}"));
    }
    finish(t, 1)
}

/// Round trips of 18-byte datagrams through `udpecho` (after the first, which may wait on ARP):
/// every answer must be its datagram; prints the minimum and median time.
fn time_udpecho(port: u16, rounds: usize) -> Result<(), String> {
    let socket = UdpSocket::bind("127.0.0.1:0").map_err(|e| format!("udp bind: {e}"))?;
    socket.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
    let mut times = Vec::with_capacity(rounds);
    let mut buf = [0u8; 64];
    for round in 0..rounds {
        let message = format!("exo-echo-{round:08}\n");
        let start = Instant::now();
        socket.send_to(message.as_bytes(), ("127.0.0.1", port)).map_err(|e| format!("udp send: {e}"))?;
        let (n, _) = socket.recv_from(&mut buf).map_err(|e| format!("round {round}: no echo: {e}"))?;
        times.push(start.elapsed());
        if &buf[..n] != message.as_bytes() {
            return Err(format!("round {round}: echoed {:?}", String::from_utf8_lossy(&buf[..n])));
        }
    }
    times.sort();
    eprintln!("net_udpecho: {rounds} round trips of 18 bytes host-slirp-guest: min {:?}, median {:?}", times[0], times[rounds / 2]);
    Ok(())
}

fn drive_udpecho(t: &mut Pty) -> Result<(), String> {
    boot_shell(t)?;
    run(t, "udpecho 7 &")?;
    t.expect("udpecho: listening on UDP port 7", STEP)?;
    check_udpecho(UDPECHO_PORT)?;
    time_udpecho(UDPECHO_PORT, 50)?;
    finish(t, 1)
}

/// The 16 MiB the stream test sends: a deterministic pseudo-random sequence.
fn stream_data() -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..STREAM_BYTES)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn drive_stream(t: &mut Pty) -> Result<(), String> {
    boot_shell(t)?;
    let data = stream_data();
    let mut sum = ::sh::text::Cksum::default();
    sum.update(&data);
    let (crc, len) = sum.finish();
    t.type_line("nc -l 9000 | cksum")?;
    // The listener is up once the shell has started the pipeline; slirp accepts the host's
    // connection at once and delivers when the guest listens, so retry only a refused connect.
    std::thread::sleep(Duration::from_secs(2));
    let start = Instant::now();
    let mut stream = (0..20)
        .find_map(|_| TcpStream::connect(("127.0.0.1", STREAM_PORT)).ok().or_else(|| {
            std::thread::sleep(Duration::from_millis(500));
            None
        }))
        .ok_or("cannot connect to the forwarded port")?;
    stream.set_write_timeout(Some(Duration::from_secs(120))).map_err(|e| e.to_string())?;
    stream.write_all(&data).map_err(|e| format!("sending the stream: {e}"))?;
    stream.shutdown(Shutdown::Write).map_err(|e| e.to_string())?;
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    let line = format!("{crc} {len}");
    t.expect(&line, Duration::from_secs(180))?;
    let secs = start.elapsed().as_secs_f64();
    eprintln!("net_tcp_16m: {len} bytes host to guest in {secs:.2} s: {:.2} MB/s (checksum {crc} matched)", len as f64 / secs / 1e6);
    t.expect(PROMPT, STEP)?;
    finish(t, 0)
}

fn drive_two_servers(t: &mut Pty) -> Result<(), String> {
    boot_shell(t)?;
    // The acceptance command line: the echo server in the background, the web server in front.
    t.type_line("udpecho 7 & httpd 80")?;
    t.expect("udpecho: listening on UDP port 7", STEP)?;
    t.expect("httpd: listening on TCP port 80", STEP)?;
    let out = std::thread::scope(|s| {
        let web = s.spawn(|| check_httpd(TWO_HTTP_PORT));
        let echo = s.spawn(|| check_udpecho(TWO_UDP_PORT));
        (web.join(), echo.join())
    });
    match out {
        (Ok(Ok(())), Ok(Ok(()))) => {}
        (web, echo) => return Err(format!("two servers at once: httpd {web:?}, udpecho {echo:?}")),
    }
    // Ctrl-C ends the foreground httpd; the prompt comes back.
    t.send(b"\x03")?;
    t.expect(PROMPT, STEP)?;
    let ps = run(t, "ps")?;
    if !ps.lines().any(|l| l.trim_end().ends_with(" udpecho")) {
        return Err(format!("udpecho is not running: {ps:?}"));
    }
    finish(t, 1)
}

/// Bytes `wget` fetches to stdout.
const WGET_BYTES: usize = 4 << 20;

/// Bytes of the file `wget` saves into `/tmp`.
const SMALL: usize = 20_000;

/// A host HTTP server (`python3 -m http.server`) on 127.0.0.1, serving a folder with one file;
/// killed on drop.
struct HostServer {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Drop for HostServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn host_server(data: &[u8]) -> Result<HostServer, String> {
    let dir = std::env::temp_dir().join(format!("exo-net-wget-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("data.bin"), data).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("small.txt"), &data[..SMALL]).map_err(|e| e.to_string())?;
    // A free port: the host's kernel picks one, then the server binds it.
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    let child = Command::new("python3")
        .args(["-m", "http.server", "--bind", "127.0.0.1", &port.to_string()])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting python3 -m http.server: {e}"))?;
    let server = HostServer { child, port, dir };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("the host HTTP server did not start".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(server)
}

fn drive_wget(t: &mut Pty) -> Result<(), String> {
    let data: Vec<u8> = stream_data().into_iter().take(WGET_BYTES).collect();
    let server = host_server(&data)?;
    boot_shell(t)?;
    let mut sum = ::sh::text::Cksum::default();
    sum.update(&data);
    let (crc, len) = sum.finish();
    let url = format!("http://10.0.2.2:{}/data.bin", server.port);
    let out = run(t, &format!("wget -O - {url} | cksum"))?;
    if !out.contains(&format!("{crc} {len}")) || !out.contains("200 OK") {
        return Err(format!("wget of {len} bytes: expected checksum {crc}: {out:?}"));
    }
    if let Some(rate) = out.lines().find(|l| l.starts_with("wget: received")) {
        eprintln!("net_wget: {}", rate.trim_end());
    }
    let mut small = ::sh::text::Cksum::default();
    small.update(&data[..SMALL]);
    let (crc, len) = small.finish();
    let out = run(t, &format!("cd /tmp; wget http://10.0.2.2:{}/small.txt; cksum small.txt; cd /", server.port))?;
    if !out.contains(&format!("saved {SMALL} bytes to /tmp/small.txt")) || !out.contains(&format!("{crc} {len} small.txt")) {
        return Err(format!("wget into /tmp: {out:?}"));
    }
    let out = run(t, &format!("wget -O - http://10.0.2.2:{}/missing; echo status $?", server.port))?;
    if !out.contains("404") || !out.contains("status 8") {
        return Err(format!("wget of a missing file: {out:?}"));
    }
    finish(t, 0)
}

pub const NETSTACK: &[IntegrationTest] = &[
    IntegrationTest {
        name: "net_sockets",
        cmdline_run: "netsock",
        expect: &[checks!("netsock"), "'netsock' exited with code 0"],
        forbid: &["FAIL"],
        timeout: Duration::from_secs(120),
        nic: true,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "net_ping",
        cmdline_run: "sh",
        expect: &["3 packets transmitted, 3 received, 0% packet loss", "'sh' exited with code 0"],
        timeout: Duration::from_secs(180),
        interactive: Some(drive_ping),
        nic: true,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "net_httpd_curl",
        cmdline_run: "sh",
        expect: &["httpd: listening on TCP port 80", "\"GET /no/such/file\" 404", "\"GET /etc\" 200", "'sh' exited with code 0"],
        timeout: Duration::from_secs(180),
        interactive: Some(drive_httpd),
        forwards: &["tcp:47180:80"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "net_udpecho",
        cmdline_run: "sh",
        expect: &["udpecho: listening on UDP port 7", "'sh' exited with code 0"],
        timeout: Duration::from_secs(180),
        interactive: Some(drive_udpecho),
        forwards: &["udp:47181:7"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "net_tcp_16m",
        cmdline_run: "sh",
        expect: &[" 16777216", "'sh' exited with code 0"],
        timeout: Duration::from_secs(400),
        interactive: Some(drive_stream),
        forwards: &["tcp:47182:9000"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "net_two_servers",
        cmdline_run: "sh",
        expect: &["udpecho: listening on UDP port 7", "httpd: listening on TCP port 80", "'sh' exited with code 0"],
        timeout: Duration::from_secs(240),
        interactive: Some(drive_two_servers),
        forwards: &["tcp:47183:80", "udp:47184:7"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "net_wget",
        cmdline_run: "sh",
        expect: &["200 OK", "'sh' exited with code 0"],
        timeout: Duration::from_secs(240),
        interactive: Some(drive_wget),
        nic: true,
        ..IntegrationTest::DEFAULT
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_ports_are_distinct_and_match_the_constants() {
        let mut ports: Vec<u16> = NETSTACK.iter().flat_map(|t| t.forwards.iter()).map(|f| f.split(':').nth(1).unwrap().parse().unwrap()).collect();
        for port in [HTTPD_PORT, UDPECHO_PORT, STREAM_PORT, TWO_HTTP_PORT, TWO_UDP_PORT] {
            assert!(ports.contains(&port), "{port} is not forwarded");
        }
        ports.sort();
        ports.dedup();
        assert_eq!(ports.len(), 5);
    }

    #[test]
    fn the_stream_is_16_mib_and_not_constant() {
        let data = stream_data();
        assert_eq!(data.len(), 16 << 20);
        assert!(data[..256].iter().any(|&b| b != data[0]));
    }
}
