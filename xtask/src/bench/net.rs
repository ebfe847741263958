//! `cargo xtask bench net`: network round trips between the host's wire program (`wire.rs`) and
//! each guest on a QEMU datagram netdev over 127.0.0.1, in time mode (never `-icount`: it
//! distorts the host side): Exo running `netbench` (user/benches/src/bin/netbench.rs) and the
//! Linux guest running `linuxbench net` (bench/linux/src/net.rs, with the virtio network modules
//! of Debian's kernel package in its initramfs), boots interleaved (Exo, Linux, Exo, ...). Each
//! boot: wait for `NETBENCH ready`, then per line [`WARMUP`] unmeasured and [`ROUND_TRIPS`]
//! measured round trips, the boot's median and min; a side's figure is the median of its
//! per-boot medians and the smallest min over at least [`MIN_BOOTS`] boots. The figures go to
//! `target/bench/results.json` (replacing earlier objects of the same names, so the main run's
//! lines stay) and are printed as a table.

use super::wire::{Probe, Wire, GUEST_MAC};
use super::*;
use std::io::Read as _;
use std::sync::{Arc, Mutex};

/// Exo's kernel command line: only the network benchmark program.
const NET_CMDLINE: &str = "mode=test run=netbench";
/// The Linux guest's command line: `net` after `--` is the /init program's argument.
const LINUX_NET_CMDLINE: &str = "console=ttyS0 quiet panic=-1 -- net";
/// What `netbench` (and `linuxbench net`) prints when every answering path is bound.
const READY: &str = "NETBENCH ready";
/// The ICMP identifier `netbench` claims (`ICMP_ID` there).
const ICMP_ID: u16 = 0x4242;
/// Boots at least (the floor), round trips per line and boot, warm-up round trips.
const MIN_BOOTS: usize = 5;
const ROUND_TRIPS: usize = 200;
const WARMUP: usize = 20;
/// How long a reply may take before it counts as lost, and the boot's deadline to be ready.
const REPLY_TIMEOUT: Duration = Duration::from_millis(500);
const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// One measured line: its results.json name, the probe, and the busy environments running.
struct NetLine {
    name: &'static str,
    label: &'static str,
    probe: Probe,
    /// The Linux guest's counterpart: the same probe, except for the ASH lines, whose
    /// counterpart is Linux's in-kernel answer, the ICMP echo.
    linux: Probe,
    busy: usize,
}

const UDP18: Probe = Probe::Udp { port: 7, len: 18 };
const UDP1K: Probe = Probe::Udp { port: 7, len: 1024 };
const ASH18: Probe = Probe::Udp { port: 8, len: 18 };
const ICMP: Probe = Probe::Icmp { id: ICMP_ID };

/// In the order measured (the busy counts only grow within a boot).
const NET_LINES: &[NetLine] = &[
    NetLine { name: "udp_echo", label: "UDP echo, 18 B, library-OS stack", probe: UDP18, linux: UDP18, busy: 0 },
    NetLine { name: "udp_echo_1k", label: "UDP echo, 1,024 B, library-OS stack", probe: UDP1K, linux: UDP1K, busy: 0 },
    NetLine { name: "ash_echo", label: "UDP echo, 18 B, ASH in the kernel path", probe: ASH18, linux: ICMP, busy: 0 },
    NetLine { name: "icmp_echo", label: "ICMP echo (Exo: ASH)", probe: ICMP, linux: ICMP, busy: 0 },
    NetLine { name: "udp_echo_busy5", label: "UDP echo, 18 B, stack, 5 busy environments", probe: UDP18, linux: UDP18, busy: 5 },
    NetLine { name: "ash_echo_busy5", label: "UDP echo, 18 B, ASH, 5 busy environments", probe: ASH18, linux: ICMP, busy: 5 },
    NetLine { name: "udp_echo_busy10", label: "UDP echo, 18 B, stack, 10 busy environments", probe: UDP18, linux: UDP18, busy: 10 },
    NetLine { name: "ash_echo_busy10", label: "UDP echo, 18 B, ASH, 10 busy environments", probe: ASH18, linux: ICMP, busy: 10 },
];

/// One boot's figures per line: (median, min) in microseconds, and replies lost.
type BootFigures = BTreeMap<&'static str, (f64, f64, usize)>;

/// The two guests.
#[derive(Clone, Copy, PartialEq)]
enum NetSide {
    Exo,
    Linux,
}

/// All boots' figures of one side, and the last failure.
#[derive(Default)]
struct SideFigures {
    boots: Vec<BootFigures>,
    failure: Option<String>,
}

impl SideFigures {
    /// The median of the per-boot medians, the smallest min, the boots and the replies lost.
    fn line(&self, name: &str) -> (Option<f64>, Option<f64>, usize, usize) {
        let figures: Vec<_> = self.boots.iter().filter_map(|b| b.get(name)).collect();
        let medians: Vec<f64> = figures.iter().map(|f| f.0).collect();
        let min = figures.iter().map(|f| f.1).fold(f64::INFINITY, f64::min);
        (median(&medians), min.is_finite().then_some(min), medians.len(), figures.iter().map(|f| f.2).sum())
    }
}

/// `cargo xtask bench net`.
pub(super) fn net_only(request: AccelRequest, repeats: usize) -> Result<u8, String> {
    install::ensure_installed(&crate::qemu::QEMU_TOOLS)?;
    let artifacts = build::build_all()?;
    let choice = qemu::choose_accel(request);
    println!("xtask: bench net: {} (time mode)", choice.describe());
    let linux_dir = workspace_root().join("target/linux");
    let guest = install::ensure_installed(&GCC_TOOLS).and_then(|()| {
        let program = build_linux_program(&linux_dir)?;
        let kernel = fetch_linux_kernel(&linux_dir)?;
        let modules = fetch_net_modules(&linux_dir, &kernel)?;
        let bytes = std::fs::read(&program).map_err(|e| format!("cannot read {}: {e}", display(&program)))?;
        let initramfs = linux_dir.join("initramfs-net.cpio");
        std::fs::write(&initramfs, initramfs_with_modules(&bytes, &modules))
            .map_err(|e| format!("cannot write {}: {e}", display(&initramfs)))?;
        Ok((kernel, initramfs))
    });
    let boots = repeats.max(MIN_BOOTS);
    let (mut exo, mut linux) = (SideFigures::default(), SideFigures::default());
    if let Err(why) = &guest {
        println!("xtask: bench net: no Linux guest: {why}");
        linux.failure = Some(why.clone());
    }
    for boot in 0..boots {
        let media = Media::kernel(&artifacts, NET_CMDLINE);
        run_net_boot(&mut exo, NetSide::Exo, choice.accel, &media, (boot, boots));
        if let Ok((kernel, initramfs)) = &guest {
            let media = Media::Kernel { kernel, initrd: initramfs, cmdline: LINUX_NET_CMDLINE };
            run_net_boot(&mut linux, NetSide::Linux, choice.accel, &media, (boot, boots));
        }
    }
    let mut rows = Vec::new();
    let mut objects = Vec::new();
    let us = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.1}"));
    let ns = |v: Option<f64>| v.map_or("null".into(), |v| format!("{:.3}", v * 1000.0));
    for line in NET_LINES {
        let (exo_mid, exo_min, exo_boots, exo_lost) = exo.line(line.name);
        let (linux_mid, linux_min, linux_boots, linux_lost) = linux.line(line.name);
        let ratio = match (exo_mid, linux_mid) {
            (Some(e), Some(l)) if e > 0.0 => format!("{:.2}x", l / e),
            _ => "n/a".into(),
        };
        rows.push(vec![
            line.name.to_string(),
            format!("{} / {}", us(exo_mid), us(exo_min)),
            format!("{} / {}", us(linux_mid), us(linux_min)),
            ratio,
            format!("{exo_boots} / {linux_boots}"),
            format!("{exo_lost} / {linux_lost}"),
        ]);
        objects.push(format!(
            "  {{\"name\": \"{}\", \"label\": \"{}\", \"exo\": {}, \"exo_min\": {}, \"linux_guest\": {}, \"linux_guest_min\": {}, \
             \"linux_native\": null, \"limit\": null, \"unit\": \"ns per round trip\", \"mode\": \"time\", \"repeats\": {}, \
             \"linux_guest_repeats\": {}, \"lost\": {{\"exo\": {exo_lost}, \"linux_guest\": {linux_lost}}}, \"quick\": false}}",
            line.name, line.label, ns(exo_mid), ns(exo_min), ns(linux_mid), ns(linux_min), exo_boots, linux_boots
        ));
    }
    let table = markdown_table(
        &["round trip", "Exo median / min (us)", "Linux guest median / min (us)", "Linux / Exo", "boots Exo / Linux", "lost Exo / Linux"],
        &rows,
    );
    println!("\n{table}");
    for (side, figures) in [("Exo", &exo), ("Linux guest", &linux)] {
        if let Some(why) = &figures.failure {
            println!("xtask: bench net: {side}: last failure: {why}");
        }
    }
    merge_results(&objects)?;
    Ok(u8::from(exo.boots.is_empty() || exo.failure.is_some()))
}

/// One boot of `side`, its figures added to `figures` (or its failure recorded).
fn run_net_boot(figures: &mut SideFigures, side: NetSide, accel: Accel, media: &Media, (boot, boots): (usize, usize)) {
    let name = if side == NetSide::Exo { "Exo" } else { "Linux guest" };
    eprint!("xtask: bench net: [{}/{boots}] {name} boot ... ", boot + 1);
    let start = Instant::now();
    match net_boot(side, accel, media) {
        Ok(boot) => {
            eprintln!("{} lines in {:.1} s", boot.len(), start.elapsed().as_secs_f64());
            figures.boots.push(boot);
        }
        Err(why) => {
            eprintln!("failed after {:.1} s", start.elapsed().as_secs_f64());
            println!("xtask: bench net: {name}: {why}");
            figures.failure = Some(why);
        }
    }
}

/// Replaces the objects of the network lines in target/bench/results.json (one object per line,
/// as `results_json` writes it) with `objects`, keeping every other line.
fn merge_results(objects: &[String]) -> Result<(), String> {
    let dir = workspace_root().join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", display(&dir)))?;
    let path = dir.join("results.json");
    let ours: Vec<String> = NET_LINES.iter().map(|l| format!("{{\"name\": \"{}\",", l.name)).collect();
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let mut kept: Vec<String> = old
        .lines()
        .map(|l| l.trim().trim_end_matches(',').to_string())
        .filter(|l| l.starts_with('{') && !ours.iter().any(|o| l.starts_with(o.as_str())))
        .map(|l| format!("  {l}"))
        .collect();
    kept.extend(objects.iter().cloned());
    std::fs::write(&path, format!("[\n{}\n]\n", kept.join(",\n"))).map_err(|e| format!("cannot write {}: {e}", display(&path)))?;
    println!("xtask: bench net: wrote {}", display(&path));
    Ok(())
}

/// A free UDP port on 127.0.0.1 for QEMU's end of the netdev (bound and released: QEMU binds it
/// right after).
fn free_udp_port() -> Result<u16, String> {
    let probe = std::net::UdpSocket::bind("127.0.0.1:0").map_err(|e| format!("cannot bind a UDP port: {e}"))?;
    probe.local_addr().map(|a| a.port()).map_err(|e| format!("{e}"))
}

/// The serial output so far, filled by a reader thread.
type Serial = Arc<Mutex<Vec<u8>>>;

/// One boot: QEMU on the wire, every line measured; QEMU is killed at the end.
fn net_boot(side: NetSide, accel: Accel, media: &Media) -> Result<BootFigures, String> {
    let qemu_port = free_udp_port()?;
    let mut wire = Wire::bind(qemu_port)?;
    let mut command = qemu::qemu_command(accel, BENCH_MEM, media, qemu::Serial::Stdio);
    let mac = GUEST_MAC.map(|b| format!("{b:02x}")).join(":");
    command.args([
        "-netdev".to_string(),
        format!(
            "dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port={qemu_port},remote.type=inet,remote.host=127.0.0.1,remote.port={}",
            wire.port()
        ),
        "-device".to_string(),
        format!("virtio-net-pci,netdev=n0,mac={mac}"),
    ]);
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|e| format!("cannot start {}: {e}", qemu::QEMU))?;
    let serial: Serial = Arc::default();
    let mut stdout = child.stdout.take().expect("piped");
    let sink = serial.clone();
    let reader = std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut chunk) {
            if n == 0 {
                break;
            }
            sink.lock().expect("serial lock").extend_from_slice(&chunk[..n]);
        }
    });
    let outcome = measure_boot(side, &mut wire, &serial, &mut child);
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    let log = build::exo_dir().join(if side == NetSide::Exo { "bench-logs/exo-net.log" } else { "bench-logs/linux-net.log" });
    if let Some(dir) = log.parent() {
        let _ = std::fs::create_dir_all(dir); // The log is a convenience.
    }
    let _ = std::fs::write(&log, &*serial.lock().expect("serial lock"));
    outcome.map_err(|why| format!("{why}; serial log in {}", display(&log)))
}

fn measure_boot(side: NetSide, wire: &mut Wire, serial: &Serial, child: &mut std::process::Child) -> Result<BootFigures, String> {
    let start = Instant::now();
    loop {
        let text = String::from_utf8_lossy(&serial.lock().expect("serial lock")).into_owned();
        if text.contains(READY) {
            break;
        }
        if let Some(at) = text.find("NETBENCH failed") {
            return Err(text[at..].lines().next().unwrap_or_default().to_string());
        }
        if let Some(status) = child.try_wait().map_err(|e| format!("{e}"))? {
            return Err(format!("QEMU exited ({status}) before `{READY}`"));
        }
        if start.elapsed() > READY_TIMEOUT {
            return Err(format!("no `{READY}` in {} s", READY_TIMEOUT.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut figures = BootFigures::new();
    let mut busy = 0;
    for line in NET_LINES {
        if line.busy != busy {
            let message = format!("BUSY {}", line.busy);
            if !wire.control(7, message.as_bytes(), Duration::from_secs(10))? {
                return Err(format!("no answer to `{message}`"));
            }
            busy = line.busy;
        }
        let mut times = Vec::with_capacity(ROUND_TRIPS);
        let mut lost = 0;
        for i in 0..WARMUP + ROUND_TRIPS {
            let probe = if side == NetSide::Exo { line.probe } else { line.linux };
            match wire.round_trip(probe, REPLY_TIMEOUT)? {
                Some(t) if i >= WARMUP => times.push(t.as_secs_f64() * 1e6),
                Some(_) => {}
                None => lost += 1,
            }
            if lost > ROUND_TRIPS / 4 {
                return Err(format!("{}: {lost} replies lost", line.name));
            }
        }
        let mid = median(&times).ok_or(format!("{}: no reply", line.name))?;
        let min = times.iter().copied().fold(f64::INFINITY, f64::min);
        figures.insert(line.name, (mid, min, lost));
    }
    Ok(figures)
}

/// The section of docs/BENCHMARKS.md that explains the network lines (written by every full
/// run after "What each line measures"; `bench net`'s figures are printed and go to
/// target/bench/results.json only).
pub(super) const NET_SECTION: &str = "## The network lines (`cargo xtask bench net`)

Run separately from the table above (`cargo xtask bench net [--repeats N]`, at least 5 boots per side,
time mode only: `-icount` distorts the host side). Both guests run on the same QEMU command line as
the rest (`-machine pc -m 2048M -smp 1`, TCG here) plus a `virtio-net-pci` NIC (MAC
52:54:00:12:34:56) on a datagram netdev: `-netdev dgram,local=127.0.0.1:P,remote=127.0.0.1:W`, one
Ethernet frame per UDP datagram on the loopback interface, nothing else on the wire. The other
station is the **wire** (`xtask/src/bench/wire.rs`), a host program in xtask: it is 10.0.2.2, answers
the guest's ARP requests, builds each request frame itself and times the round trip with the host's
monotonic clock from just before the request is sent to when its reply is read. The guest has a
**static address**, 10.0.2.15/24 with gateway 10.0.2.2 (there is no DHCP server on the wire): Exo's
`netbench` stores it with `net_config` before its first socket; Linux's /init sets it with the
`SIOCSIFADDR`/`SIOCSIFNETMASK`/`SIOCSIFFLAGS` ioctls. Boots alternate Exo, Linux, Exo, ...; in each
boot every line gets 20 unmeasured and 200 measured round trips, one at a time (the next request
leaves after the reply came). A side's figure is the median of its per-boot medians and the smallest
per-boot minimum; a reply missing after 500 ms counts as lost (printed per line). The results are
printed as a table and merged into `target/bench/results.json` (`exo`, `exo_min`, `linux_guest`,
`linux_guest_min` in ns per round trip, `repeats`, `lost`).

- **Exo** boots `mode=test run=netbench` (`user/benches/src/bin/netbench.rs`). **Linux** boots Debian's
  kernel with `/init` = `linuxbench net` (`bench/linux/src/net.rs`); its initramfs carries
  `virtio_ring`, `virtio`, `virtio_pci_legacy_dev`, `virtio_pci_modern_dev`, `virtio_pci`,
  `failover`, `net_failover` and `virtio_net` from the same Debian kernel package (fetched once with
  `apt-get download` into `target/linux/modules/<release>/`), loaded in that order with
  `finit_module`.
- `udp_echo`: an 18-byte UDP datagram to port 7, echoed. Exo: by the library-OS stack, an ExOS UDP
  socket over smoltcp in the `netbench` process (the frame goes through the kernel's DPF
  classification into the process's ring, the process is woken, smoltcp parses it, the reply goes
  out through `net_send`). Linux: a user-space `recvfrom`/`sendto` loop on a UDP socket.
- `udp_echo_1k`: the same with 1,024 bytes of payload.
- `ash_echo`: an 18-byte UDP datagram to port 8, answered by an ASH (`ash::programs::udp_echo`,
  bound with `net_filter_ash` to the DPF filter of the port) in the kernel's receive path, before any
  scheduling; the process never sees the frame. Linux has no downloaded handlers: its counterpart is
  its in-kernel answer, the ICMP echo (so the Linux column of this line is an ICMP round trip).
- `icmp_echo`: an ICMP echo request (56 bytes of data). Exo answers it with an ASH too
  (`ash::programs::icmp_echo` on the ICMP identifier `netbench` claims, 0x4242, which the wire's
  requests carry), not with its stack: ICMP belongs to whoever holds the identifier. Linux: its
  kernel.
- `udp_echo_busy5`, `udp_echo_busy10`, `ash_echo_busy5`, `ash_echo_busy10`: the 18-byte lines with 5
  and 10 busy environments (processes) spinning in user mode on the guest's one CPU, the paper's
  Figure 2. The wire starts them with a `BUSY n` datagram to port 7 before the line (Exo: copies of
  `netbench` started with `user::spawn`; Linux: `fork`ed children), so the counts only grow within a
  boot. On Linux the ASH lines are again ICMP echoes.
- Not measured yet: `tcp_rr` (1-byte TCP request/response) and `tcp_stream` (MB/s host to guest):
  the wire has no TCP client yet, so neither line is printed (no figure stands in for them).
";
