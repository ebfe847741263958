//! `ifconfig`'s report of one interface: addresses, MAC, MTU and counters, in the layout of
//! Linux's net-tools.
use alloc::format;
use alloc::string::String;

/// What the kernel's `net_info` says of the NIC, as `ifconfig` shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Interface {
    pub mac: [u8; 6],
    pub mtu: u32,
    pub up: bool,
    pub ip: [u8; 4],
    pub prefix: u8,
    pub gateway: [u8; 4],
    pub rx_packets: u64,
    /// Frames delivered into receive rings (a frame copied to several rings counts once each).
    pub rx_delivered: u64,
    pub tx_packets: u64,
    /// Receive interrupts taken.
    pub interrupts: u64,
    /// Filters installed and ports claimed, by all environments.
    pub filters: u64,
    pub ports: u64,
    /// Frames no filter claimed (dropped), and frames dropped on a full receive ring.
    pub rx_unclaimed: u64,
    pub rx_ring_full: u64,
    /// Transmissions the kernel refused (a check failed).
    pub tx_refused: u64,
}

/// `a.b.c.d`.
pub fn ipv4(a: [u8; 4]) -> String {
    format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])
}

/// `52:54:00:12:34:56`.
pub fn mac(m: [u8; 6]) -> String {
    format!("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5])
}

/// The netmask of a prefix length (`24` is `255.255.255.0`).
pub fn netmask(prefix: u8) -> [u8; 4] {
    let bits = if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix.min(32))) };
    bits.to_be_bytes()
}

/// The prefix length of a netmask (its leading ones).
pub fn prefix_of(mask: [u8; 4]) -> u8 {
    u32::from_be_bytes(mask).leading_ones() as u8
}

impl Interface {
    /// The report for interface `name`.
    pub fn report(&self, name: &str) -> String {
        let flags = if self.up { "<UP,BROADCAST,RUNNING>" } else { "<BROADCAST>" };
        let mut out = format!("{name}: flags={flags}  mtu {}\n", self.mtu);
        if self.ip != [0; 4] {
            let broadcast = u32::from_be_bytes(self.ip) | !u32::from_be_bytes(netmask(self.prefix));
            out.push_str(&format!(
                "        inet {}  netmask {}  broadcast {}\n",
                ipv4(self.ip),
                ipv4(netmask(self.prefix)),
                ipv4(broadcast.to_be_bytes())
            ));
            out.push_str(&format!("        gateway {}\n", ipv4(self.gateway)));
        } else {
            out.push_str("        inet (not configured)\n");
        }
        out.push_str(&format!("        ether {}\n", mac(self.mac)));
        out.push_str(&format!("        RX packets {}  delivered {}  interrupts {}\n", self.rx_packets, self.rx_delivered, self.interrupts));
        out.push_str(&format!("        RX dropped {} (unclaimed)  {} (ring full)\n", self.rx_unclaimed, self.rx_ring_full));
        out.push_str(&format!("        TX packets {}  refused {}\n", self.tx_packets, self.tx_refused));
        out.push_str(&format!("        filters {}  ports {}\n", self.filters, self.ports));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(netmask(24), [255, 255, 255, 0]);
        assert_eq!(netmask(0), [0; 4]);
        assert_eq!(netmask(32), [255; 4]);
        assert_eq!(prefix_of([255, 255, 255, 0]), 24);
        assert_eq!(prefix_of([255, 255, 0, 0]), 16);
    }

    #[test]
    fn report() {
        let i = Interface { mac: [0x52, 0x54, 0, 0x12, 0x34, 0x56], mtu: 1500, up: true, ip: [10, 0, 2, 15], prefix: 24, gateway: [10, 0, 2, 2], rx_packets: 3, rx_delivered: 2, ..Default::default() };
        let r = i.report("eth0");
        assert!(r.starts_with("eth0: flags=<UP,BROADCAST,RUNNING>  mtu 1500\n"));
        assert!(r.contains("inet 10.0.2.15  netmask 255.255.255.0  broadcast 10.0.2.255\n"));
        assert!(r.contains("ether 52:54:00:12:34:56\n"));
        assert!(r.contains("RX packets 3  delivered 2  interrupts 0\n"));
        assert!(Interface::default().report("eth0").contains("(not configured)"));
    }
}
