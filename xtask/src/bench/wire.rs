//! The host side of `cargo xtask bench net`: the "wire". QEMU's NIC is on a datagram netdev
//! (`-netdev dgram`, one Ethernet frame per UDP datagram on 127.0.0.1), and this program is the
//! only other station on it: it is 10.0.2.2 (MAC [`WIRE_MAC`]), answers the guest's ARP requests,
//! sends UDP and ICMP echo requests to the guest (10.0.2.15, MAC [`GUEST_MAC`], fixed on QEMU's
//! command line) and times each round trip with the host's monotonic clock, from just before the
//! request leaves to when its reply arrived. Frames are built and parsed here (IPv4 header
//! checksum, UDP checksum 0, ICMP checksum); nothing leaves the loopback interface.

use std::net::UdpSocket;
use std::time::{Duration, Instant};

pub const WIRE_MAC: [u8; 6] = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];
pub const GUEST_MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
pub const WIRE_IP: [u8; 4] = [10, 0, 2, 2];
pub const GUEST_IP: [u8; 4] = [10, 0, 2, 15];
/// The UDP port the wire's requests come from.
const WIRE_PORT: u16 = 40000;

/// One round trip's kind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Probe {
    /// A UDP datagram of `len` payload bytes to the guest's `port`, expected back unchanged.
    Udp { port: u16, len: usize },
    /// An ICMP echo request with identifier `id` and 56 bytes of data.
    Icmp { id: u16 },
}

/// The wire: the socket QEMU's netdev sends to and receives from.
pub struct Wire {
    socket: UdpSocket,
    /// QEMU's end (`local.port` of the netdev).
    qemu: std::net::SocketAddr,
    seq: u16,
    /// ARP requests answered.
    pub arps: u64,
}

/// The ones' complement sum of `data` (big-endian words), folded and inverted.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for chunk in data.chunks(2) {
        let word = if chunk.len() == 2 { u16::from_be_bytes([chunk[0], chunk[1]]) } else { u16::from(chunk[0]) << 8 };
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An Ethernet frame from the wire to the guest carrying an IPv4 packet of protocol `proto`.
pub fn ipv4_frame(proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(34 + payload.len());
    frame.extend_from_slice(&GUEST_MAC);
    frame.extend_from_slice(&WIRE_MAC);
    frame.extend_from_slice(&0x0800u16.to_be_bytes());
    let total = u16::try_from(20 + payload.len()).expect("a frame's packet is short");
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip[6] = 0x40; // don't fragment
    ip[8] = 64;
    ip[9] = proto;
    ip[12..16].copy_from_slice(&WIRE_IP);
    ip[16..20].copy_from_slice(&GUEST_IP);
    let sum = checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    frame.extend_from_slice(&ip);
    frame.extend_from_slice(payload);
    frame
}

/// The request frame of `probe` with sequence number `seq`.
pub fn request(probe: Probe, seq: u16) -> Vec<u8> {
    match probe {
        Probe::Udp { port, len } => {
            let mut udp = Vec::with_capacity(8 + len);
            udp.extend_from_slice(&WIRE_PORT.to_be_bytes());
            udp.extend_from_slice(&port.to_be_bytes());
            udp.extend_from_slice(&u16::try_from(8 + len).expect("short datagram").to_be_bytes());
            udp.extend_from_slice(&[0, 0]); // no checksum (allowed over IPv4)
            udp.extend((0..len).map(|i| if i < 2 { seq.to_be_bytes()[i] } else { b'a' + (i % 26) as u8 }));
            ipv4_frame(17, &udp)
        }
        Probe::Icmp { id } => {
            let mut icmp = vec![8, 0, 0, 0];
            icmp.extend_from_slice(&id.to_be_bytes());
            icmp.extend_from_slice(&seq.to_be_bytes());
            icmp.extend((0..56u8).map(|i| i.wrapping_mul(7)));
            let sum = checksum(&icmp);
            icmp[2..4].copy_from_slice(&sum.to_be_bytes());
            ipv4_frame(1, &icmp)
        }
    }
}

/// Whether `frame` (from the guest) is the reply to `probe`'s request number `seq`.
pub fn is_reply(frame: &[u8], probe: Probe, seq: u16) -> bool {
    if frame.len() < 34 || frame[12..14] != [0x08, 0x00] || frame[26..30] != GUEST_IP || frame[30..34] != WIRE_IP {
        return false;
    }
    let ihl = usize::from(frame[14] & 0x0f) * 4;
    let Some(l4) = frame.get(14 + ihl..) else { return false };
    match probe {
        Probe::Udp { port, len } => {
            frame[23] == 17
                && l4.len() >= 8 + len
                && l4[0..2] == port.to_be_bytes()
                && l4[2..4] == WIRE_PORT.to_be_bytes()
                && usize::from(u16::from_be_bytes([l4[4], l4[5]])) == 8 + len
                && (len < 2 || l4[8..10] == seq.to_be_bytes())
        }
        Probe::Icmp { id } => {
            frame[23] == 1 && l4.len() >= 8 && l4[0] == 0 && l4[4..6] == id.to_be_bytes() && l4[6..8] == seq.to_be_bytes()
        }
    }
}

/// The ARP reply to `frame` if it is a request for the wire's address.
pub fn arp_reply(frame: &[u8]) -> Option<Vec<u8>> {
    if frame.len() < 42 || frame[12..14] != [0x08, 0x06] || frame[20..22] != [0, 1] || frame[38..42] != WIRE_IP {
        return None;
    }
    let mut reply = Vec::with_capacity(42);
    reply.extend_from_slice(&frame[6..12]);
    reply.extend_from_slice(&WIRE_MAC);
    reply.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 2]);
    reply.extend_from_slice(&WIRE_MAC);
    reply.extend_from_slice(&WIRE_IP);
    reply.extend_from_slice(&frame[22..32]); // the asker's MAC and IP
    Some(reply)
}

impl Wire {
    /// Binds the wire's socket on 127.0.0.1 (any port) for a QEMU netdev bound at `qemu_port`.
    pub fn bind(qemu_port: u16) -> Result<Wire, String> {
        let socket = UdpSocket::bind("127.0.0.1:0").map_err(|e| format!("wire: bind: {e}"))?;
        let qemu = std::net::SocketAddr::from(([127, 0, 0, 1], qemu_port));
        Ok(Wire { socket, qemu, seq: 0, arps: 0 })
    }

    /// The wire's own UDP port (the netdev's `remote.port`).
    pub fn port(&self) -> u16 {
        self.socket.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    fn send(&self, frame: &[u8]) -> Result<(), String> {
        self.socket.send_to(frame, self.qemu).map(drop).map_err(|e| format!("wire: send: {e}"))
    }

    /// One round trip of `probe`: the time from sending the request to its reply, or `None`
    /// when no reply came within `timeout`. ARP requests met meanwhile are answered.
    pub fn round_trip(&mut self, probe: Probe, timeout: Duration) -> Result<Option<Duration>, String> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let frame = request(probe, seq);
        let mut buf = [0u8; 2048];
        let start = Instant::now();
        self.send(&frame)?;
        loop {
            let left = timeout.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Ok(None);
            }
            self.socket.set_read_timeout(Some(left)).map_err(|e| format!("wire: {e}"))?;
            let n = match self.socket.recv(&mut buf) {
                Ok(n) => n,
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => return Ok(None),
                Err(e) => return Err(format!("wire: receive: {e}")),
            };
            let elapsed = start.elapsed();
            let got = &buf[..n];
            if is_reply(got, probe, seq) {
                return Ok(Some(elapsed));
            }
            if let Some(reply) = arp_reply(got) {
                self.arps += 1;
                self.send(&reply)?;
            }
        }
    }

    /// Sends one UDP datagram with `payload` to the guest's `port` and waits (answering ARP) for
    /// it to come back: the control messages (`BUSY n`).
    pub fn control(&mut self, port: u16, payload: &[u8], timeout: Duration) -> Result<bool, String> {
        let mut udp = Vec::new();
        udp.extend_from_slice(&WIRE_PORT.to_be_bytes());
        udp.extend_from_slice(&port.to_be_bytes());
        udp.extend_from_slice(&u16::try_from(8 + payload.len()).expect("short").to_be_bytes());
        udp.extend_from_slice(&[0, 0]);
        udp.extend_from_slice(payload);
        self.send(&ipv4_frame(17, &udp))?;
        let start = Instant::now();
        let mut buf = [0u8; 2048];
        while start.elapsed() < timeout {
            self.socket.set_read_timeout(Some(Duration::from_millis(100))).map_err(|e| format!("wire: {e}"))?;
            let Ok(n) = self.socket.recv(&mut buf) else { continue };
            let got = &buf[..n];
            if let Some(reply) = arp_reply(got) {
                self.arps += 1;
                self.send(&reply)?;
            } else if got.len() >= 42 + payload.len() && got[12..14] == [8, 0] && got[23] == 17 && got[42..].starts_with(payload) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_through_the_parser() {
        let udp = request(Probe::Udp { port: 7, len: 18 }, 5);
        assert_eq!(udp.len(), 14 + 20 + 8 + 18);
        assert_eq!(checksum(&udp[14..34]), 0, "a valid IPv4 header sums to 0");
        // The guest's reply: addresses and ports swapped.
        let mut reply = udp.clone();
        reply[0..6].copy_from_slice(&WIRE_MAC);
        reply[6..12].copy_from_slice(&GUEST_MAC);
        reply[26..30].copy_from_slice(&GUEST_IP);
        reply[30..34].copy_from_slice(&WIRE_IP);
        let (s, d) = ([reply[34], reply[35]], [reply[36], reply[37]]);
        reply[34..36].copy_from_slice(&d);
        reply[36..38].copy_from_slice(&s);
        assert!(is_reply(&reply, Probe::Udp { port: 7, len: 18 }, 5));
        assert!(!is_reply(&reply, Probe::Udp { port: 7, len: 18 }, 6), "another sequence number");
        assert!(!is_reply(&udp, Probe::Udp { port: 7, len: 18 }, 5), "the request itself");
        let icmp = request(Probe::Icmp { id: 0x4242 }, 3);
        assert_eq!(checksum(&icmp[34..]), 0, "a valid ICMP message sums to 0");
    }

    #[test]
    fn arp_requests_for_the_wire_are_answered() {
        let mut ask = vec![0xff; 6];
        ask.extend_from_slice(&GUEST_MAC);
        ask.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1]);
        ask.extend_from_slice(&GUEST_MAC);
        ask.extend_from_slice(&GUEST_IP);
        ask.extend_from_slice(&[0; 6]);
        ask.extend_from_slice(&WIRE_IP);
        let reply = arp_reply(&ask).expect("a reply");
        assert_eq!(&reply[0..6], &GUEST_MAC);
        assert_eq!(&reply[28..32], &WIRE_IP);
        assert_eq!(&reply[38..42], &GUEST_IP);
        ask[41] = 3;
        assert!(arp_reply(&ask).is_none(), "not the wire's address");
    }
}
