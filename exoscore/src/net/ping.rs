//! `ping`'s messages and output: ICMP echo requests and replies (the Internet checksum, the send
//! time carried in the payload), and the lines Linux's iputils prints: the replies and the
//! closing statistics (`N packets transmitted, M received, P% packet loss, time T ms` and
//! `rtt min/avg/max/mdev`).
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// The Internet checksum (RFC 1071: ones' complement of the ones' complement sum of 16-bit words).
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut words = data.chunks_exact(2);
    for w in &mut words {
        sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [last] = words.remainder() {
        sum += u32::from(*last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An ICMP echo request with `payload` bytes of data: the send time `stamp_ns` in its first 8
/// bytes (when there is room), then the bytes 0x10, 0x11, ... as iputils fills them.
pub fn echo_request(ident: u16, seq: u16, stamp_ns: u64, payload: usize) -> Vec<u8> {
    let mut m = alloc::vec![0u8; 8 + payload];
    m[0] = 8;
    m[4..6].copy_from_slice(&ident.to_be_bytes());
    m[6..8].copy_from_slice(&seq.to_be_bytes());
    for (i, b) in m[8..].iter_mut().enumerate() {
        *b = (0x10 + i) as u8;
    }
    if payload >= 8 {
        m[8..16].copy_from_slice(&stamp_ns.to_le_bytes());
    }
    let sum = checksum(&m);
    m[2..4].copy_from_slice(&sum.to_be_bytes());
    m
}

/// A parsed echo reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EchoReply {
    pub ident: u16,
    pub seq: u16,
    /// The send time the request carried (`None` for a payload under 8 bytes).
    pub stamp_ns: Option<u64>,
    /// The ICMP message's length (header included), as iputils reports it.
    pub len: usize,
}

/// `message` as an echo reply, if it is one with a right checksum.
pub fn parse_reply(message: &[u8]) -> Option<EchoReply> {
    if message.len() < 8 || message[0] != 0 || message[1] != 0 || checksum(message) != 0 {
        return None;
    }
    let stamp_ns = message.get(8..16).map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
    Some(EchoReply {
        ident: u16::from_be_bytes([message[4], message[5]]),
        seq: u16::from_be_bytes([message[6], message[7]]),
        stamp_ns,
        len: message.len(),
    })
}

/// Round-trip times gathered by one run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    pub transmitted: u32,
    /// Round trips of the replies received, in microseconds.
    pub rtts_us: Vec<u64>,
}

/// Microseconds as milliseconds with three decimals (`1234` is `1.234`).
pub fn ms(us: u64) -> String {
    format!("{}.{:03}", us / 1000, us % 1000)
}

/// A reply line: `64 bytes from 10.0.2.2: icmp_seq=1 time=0.512 ms` (no `ttl=`: the stack's ICMP
/// socket hands over the ICMP message without its IP header).
pub fn reply_line(bytes: usize, from: [u8; 4], seq: u16, rtt_us: u64) -> String {
    let [a, b, c, d] = from;
    format!("{bytes} bytes from {a}.{b}.{c}.{d}: icmp_seq={seq} time={} ms", ms(rtt_us))
}

/// The first line: `PING 10.0.2.2 (10.0.2.2) 56(84) bytes of data.`
pub fn header(to: [u8; 4], payload: usize) -> String {
    let [a, b, c, d] = to;
    format!("PING {a}.{b}.{c}.{d} ({a}.{b}.{c}.{d}) {payload}({}) bytes of data.", payload + 28)
}

impl Stats {
    /// The percentage of packets lost, rounded down as iputils does.
    pub fn loss_percent(&self) -> u32 {
        if self.transmitted == 0 {
            return 0;
        }
        let received = self.rtts_us.len() as u64;
        ((self.transmitted as u64 - received.min(self.transmitted as u64)) * 100 / self.transmitted as u64) as u32
    }

    /// min, average, max and mean deviation (the square root of the variance, as iputils), in
    /// microseconds; `None` without a reply.
    pub fn rtt(&self) -> Option<(u64, u64, u64, u64)> {
        let n = self.rtts_us.len() as u64;
        if n == 0 {
            return None;
        }
        let min = *self.rtts_us.iter().min()?;
        let max = *self.rtts_us.iter().max()?;
        let sum: u64 = self.rtts_us.iter().sum();
        let avg = sum / n;
        let sq: u128 = self.rtts_us.iter().map(|&t| (t as u128) * (t as u128)).sum();
        let var = (sq / n as u128).saturating_sub((sum as u128 / n as u128).pow(2));
        Some((min, avg, max, isqrt(var) as u64))
    }

    /// The closing lines for a run to `to` that took `elapsed_us`.
    pub fn summary(&self, to: [u8; 4], elapsed_us: u64) -> String {
        let [a, b, c, d] = to;
        let mut out = format!(
            "--- {a}.{b}.{c}.{d} ping statistics ---\n{} packets transmitted, {} received, {}% packet loss, time {}ms\n",
            self.transmitted,
            self.rtts_us.len(),
            self.loss_percent(),
            elapsed_us / 1000
        );
        if let Some((min, avg, max, mdev)) = self.rtt() {
            out.push_str(&format!("rtt min/avg/max/mdev = {}/{}/{}/{} ms\n", ms(min), ms(avg), ms(max), ms(mdev)));
        }
        out
    }
}

fn isqrt(v: u128) -> u128 {
    if v < 2 {
        return v;
    }
    let mut x = v;
    let mut y = x.div_ceil(2);
    while y < x {
        x = y;
        y = (x + v / x) / 2;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(header([10, 0, 2, 2], 56), "PING 10.0.2.2 (10.0.2.2) 56(84) bytes of data.");
        assert_eq!(reply_line(64, [10, 0, 2, 2], 1, 512), "64 bytes from 10.0.2.2: icmp_seq=1 time=0.512 ms");
        assert_eq!(ms(12_345), "12.345");
    }

    #[test]
    fn checksums() {
        // RFC 1071's example.
        assert_eq!(checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]), !0xddf2);
        assert_eq!(checksum(&[0xff]), !0xff00);
        assert_eq!(checksum(&[]), 0xffff);
    }

    #[test]
    fn echo_round_trip() {
        let mut m = echo_request(0x1234, 7, 0xdead_beef, 56);
        assert_eq!(m.len(), 64);
        assert_eq!(checksum(&m), 0);
        assert_eq!(parse_reply(&m), None, "a request is no reply");
        // What the peer does: type 0, checksum fixed by the difference.
        m[0] = 0;
        m[2..4].copy_from_slice(&[0, 0]);
        let sum = checksum(&m);
        m[2..4].copy_from_slice(&sum.to_be_bytes());
        assert_eq!(parse_reply(&m), Some(EchoReply { ident: 0x1234, seq: 7, stamp_ns: Some(0xdead_beef), len: 64 }));
        m[20] ^= 1;
        assert_eq!(parse_reply(&m), None, "a bad checksum");
        assert_eq!(parse_reply(&m[..7]), None);
        let short = echo_request(1, 2, 3, 4);
        assert_eq!(short.len(), 12);
        assert_eq!(short[8..], [0x10, 0x11, 0x12, 0x13]);
    }

    #[test]
    fn statistics() {
        let s = Stats { transmitted: 3, rtts_us: alloc::vec![1000, 2000, 3000] };
        assert_eq!(s.loss_percent(), 0);
        assert_eq!(s.rtt(), Some((1000, 2000, 3000, 816)));
        assert_eq!(
            s.summary([10, 0, 2, 2], 2_004_000),
            "--- 10.0.2.2 ping statistics ---\n3 packets transmitted, 3 received, 0% packet loss, time 2004ms\nrtt min/avg/max/mdev = 1.000/2.000/3.000/0.816 ms\n"
        );
        let lost = Stats { transmitted: 3, rtts_us: alloc::vec![700] };
        assert_eq!(lost.loss_percent(), 66);
        let none = Stats { transmitted: 2, rtts_us: alloc::vec![] };
        assert_eq!(none.loss_percent(), 100);
        assert_eq!(none.rtt(), None);
        assert!(!none.summary([1, 2, 3, 4], 0).contains("rtt"));
        assert_eq!(Stats::default().loss_percent(), 0);
    }
}
