//! `linuxbench net`: the Linux guest's side of `cargo xtask bench net` (what Exo's
//! user/benches/src/bin/netbench.rs is on Exo). Loads the virtio network modules the initramfs
//! carries (`/modules/*.ko`, in [`MODULES`] order, with `finit_module`), gives `eth0` the static
//! address 10.0.2.15/24 with ioctls (no DHCP on the wire), brings it up, and serves a user-space
//! UDP echo on port 7 (`udp_echo`, `udp_echo_1k`); the kernel answers ICMP echo (`icmp_echo`, and
//! the Linux counterpart of Exo's `ash_echo`). A datagram `BUSY <n>` first forks busy processes
//! until `n` run, then is echoed. Prints `NETBENCH ready`, then serves until QEMU is stopped.

use std::ffi::CString;

/// The modules, dependencies first (their `depends=` in Debian's 6.1 kernel: virtio needs virtio_ring).
pub const MODULES: &[&str] = &[
    "virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci", "failover", "net_failover",
    "virtio_net",
];

/// Loads `/modules/<name>.ko`; an already loaded (built-in) module is fine.
fn load_module(name: &str) -> Result<(), String> {
    let path = CString::new(format!("/modules/{name}.ko")).expect("no NUL");
    // SAFETY: open takes a NUL-terminated path.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(format!("open /modules/{name}.ko: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: finit_module reads the module from fd; the parameter string is an empty C string.
    let r = unsafe { libc::syscall(libc::SYS_finit_module, fd, c"".as_ptr(), 0) };
    let err = std::io::Error::last_os_error();
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
    if r != 0 && err.raw_os_error() != Some(libc::EEXIST) {
        return Err(format!("finit_module {name}: {err}"));
    }
    Ok(())
}

/// An `ifreq` for `eth0` with a sockaddr_in of `ip` in its union.
fn ifreq_addr(ip: [u8; 4]) -> libc::ifreq {
    // SAFETY: a zeroed ifreq is valid.
    let mut req: libc::ifreq = unsafe { core::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(b"eth0") {
        *dst = *src as libc::c_char;
    }
    let sin = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(ip) },
        sin_zero: [0; 8],
    };
    // SAFETY: sockaddr_in fits in the ifreq union (a sockaddr); both are plain data.
    unsafe { core::ptr::write_unaligned(core::ptr::addr_of_mut!(req.ifr_ifru).cast::<libc::sockaddr_in>(), sin) };
    req
}

/// Address, netmask and IFF_UP on eth0, with ioctls on a UDP socket.
fn configure() -> Result<(), String> {
    // SAFETY: socket takes no pointers.
    let s = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0) };
    if s < 0 {
        return Err(format!("socket: {}", std::io::Error::last_os_error()));
    }
    let ioctl = |request: libc::c_ulong, req: &mut libc::ifreq, what: &str| {
        // SAFETY: the request reads or writes the ifreq it is given.
        if unsafe { libc::ioctl(s, request, req as *mut libc::ifreq) } < 0 {
            return Err(format!("{what}: {}", std::io::Error::last_os_error()));
        }
        Ok(())
    };
    ioctl(libc::SIOCSIFADDR, &mut ifreq_addr([10, 0, 2, 15]), "SIOCSIFADDR")?;
    ioctl(libc::SIOCSIFNETMASK, &mut ifreq_addr([255, 255, 255, 0]), "SIOCSIFNETMASK")?;
    let mut flags = ifreq_addr([0; 4]);
    ioctl(libc::SIOCGIFFLAGS, &mut flags, "SIOCGIFFLAGS")?;
    // SAFETY: SIOCGIFFLAGS filled the flags member of the union.
    unsafe { flags.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short };
    ioctl(libc::SIOCSIFFLAGS, &mut flags, "SIOCSIFFLAGS")?;
    // SAFETY: s is ours.
    unsafe { libc::close(s) };
    Ok(())
}

/// Serves until killed; returns only on a setup error.
pub fn serve() -> String {
    for name in MODULES {
        if let Err(why) = load_module(name) {
            return why;
        }
    }
    // The interface appears when virtio_net probed the device: wait for it (at most 5 s).
    let mut configured = configure();
    for _ in 0..50 {
        if configured.is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        configured = configure();
    }
    if let Err(why) = configured {
        return why;
    }
    let socket = match std::net::UdpSocket::bind("0.0.0.0:7") {
        Ok(s) => s,
        Err(e) => return format!("bind UDP 7: {e}"),
    };
    println!("NETBENCH ready");
    let mut busy = 0usize;
    let mut buf = [0u8; 2048];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf) else { continue };
        if let Some(want) = buf[..n].strip_prefix(b"BUSY ").and_then(|w| std::str::from_utf8(w).ok()?.trim().parse::<usize>().ok()) {
            while busy < want.min(16) {
                // SAFETY: the child only spins; it touches no shared state.
                if unsafe { libc::fork() } == 0 {
                    loop {
                        core::hint::spin_loop();
                    }
                }
                busy += 1;
            }
        }
        let _ = socket.send_to(&buf[..n], from);
    }
}
