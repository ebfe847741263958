//! `ping`'s output, as Linux's iputils prints it: the reply lines and the closing statistics
//! (`N packets transmitted, M received, P% packet loss, time T ms` and `rtt min/avg/max/mdev`).
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

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

/// A reply line: `64 bytes from 10.0.2.2: icmp_seq=1 ttl=255 time=0.512 ms`.
pub fn reply_line(bytes: usize, from: [u8; 4], seq: u16, ttl: u8, rtt_us: u64) -> String {
    let [a, b, c, d] = from;
    format!("{bytes} bytes from {a}.{b}.{c}.{d}: icmp_seq={seq} ttl={ttl} time={} ms", ms(rtt_us))
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
        assert_eq!(reply_line(64, [10, 0, 2, 2], 1, 255, 512), "64 bytes from 10.0.2.2: icmp_seq=1 ttl=255 time=0.512 ms");
        assert_eq!(ms(12_345), "12.345");
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
