//! ExOS sockets and `poll` through the real kernel (needs a NIC; traffic only to the slirp
//! gateway 10.0.2.2 and the host's loopback behind it): every bad use gets its precise error,
//! ports are the process's own (a second bind, by this process or a child, is `EADDRINUSE`; an
//! ephemeral one comes from 49152 up), descriptors behave (`fstat` says socket, `dup` keeps a
//! socket open until the last descriptor goes, a forked child gets none and its own stack works),
//! `poll` times out on time and says `POLLNVAL` for a closed descriptor, a connection to a closed
//! host port is refused, and ICMP echo with the gateway works.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use exos::fs::fd::poll::{poll, PollFd, POLLIN, POLLNVAL, POLLOUT};
use exos::fs::fd;
use exos::fs::{Errno, FileKind};
use exos::net::fd as socket;
use exos::proc::{fork, process};
use exos::sys::wait::now_ns;
use user::Checks;

const GATEWAY: [u8; 4] = [10, 0, 2, 2];

fn main() -> i64 {
    let mut c = Checks::new("netsock");
    let (u, port) = socket::udp_bind(0).expect("an ephemeral UDP socket");
    c.check("an ephemeral port is from 49152 up", port >= 49152);
    c.equal("local_port says it", socket::local_port(u), Ok(port));
    c.equal("fstat says socket", fd::fstat(u).map(|s| s.kind), Ok(FileKind::Socket));
    c.equal("a second bind of the port in this process", socket::udp_bind(port).map(|_| ()), Err(Errno::EADDRINUSE));
    c.equal("write without a peer", fd::write(u, b"x"), Err(Errno::ENOTCONN));
    c.equal("a datagram too big", socket::send_to(u, &[0; 1500], GATEWAY, 9), Err(Errno::EMSGSIZE));
    c.equal("lseek on a socket", fd::lseek(u, 0, fd::Whence::Set), Err(Errno::ESPIPE));
    c.equal("socket calls on the console", socket::local_port(1), Err(Errno::ENOTSOCK));
    c.equal("socket calls on a closed descriptor", socket::local_port(40), Err(Errno::EBADF));
    c.equal("accept on a UDP socket", socket::accept(u).map(|_| ()), Err(Errno::EINVAL));

    // Nothing arrives: poll and a receive deadline time out on time.
    let start = now_ns();
    let mut fds = [PollFd::new(u, POLLIN)];
    c.equal("poll times out with nothing ready", poll(&mut fds, Some(50_000_000)), Ok(0));
    c.check("after at least 50 ms", now_ns() - start >= 50_000_000);
    let mut out = [PollFd::new(u, POLLOUT)];
    c.equal("a UDP socket has room", poll(&mut out, Some(0)).map(|n| (n, out[0].revents)), Ok((1, POLLOUT)));
    let mut buf = [0u8; 64];
    let start = now_ns();
    c.equal("recv_from until a deadline", socket::recv_from(u, &mut buf, Some(start + 30_000_000)).map(|_| ()), Err(Errno::ETIMEDOUT));

    // dup: the socket lives until the last descriptor goes.
    let d = fd::dup(u).expect("dup");
    c.equal("close the first", fd::close(u), Ok(()));
    c.equal("the duplicate still names it", socket::local_port(d), Ok(port));
    c.equal("the port is still held", socket::udp_bind(port).map(|_| ()), Err(Errno::EADDRINUSE));
    c.equal("close the last", fd::close(d), Ok(()));
    let mut closed = [PollFd::new(d, POLLIN)];
    c.equal("poll of a closed descriptor", poll(&mut closed, Some(0)).map(|n| (n, closed[0].revents)), Ok((1, POLLNVAL)));
    let again = socket::udp_bind(port);
    c.check("the port is free again after the last close", again.is_ok());
    let (held, _) = again.unwrap_or((u32::MAX, 0));

    // A forked child: no socket descriptor of the parent, its own stack, the parent's port refused.
    match fork::fork() {
        Ok(0) => {
            let mut k = 0;
            k |= u64::from(fd::fstat(held).is_ok());
            k |= u64::from(socket::udp_bind(port).map(|_| ()) != Err(Errno::EADDRINUSE)) << 1;
            k |= u64::from(socket::udp_bind(0).is_err()) << 2;
            process::exit(k as i64);
        }
        Ok(child) => c.equal("the child: no inherited socket, the port refused, its own stack works", process::wait(child), Ok(process::Status::Exited(0))),
        Err(e) => c.check(&alloc::format!("fork: {e:?}"), false),
    }

    // A closed port on the host (through the gateway): refused.
    c.equal("connect to a closed host port", socket::tcp_connect(GATEWAY, 1).map(|_| ()), Err(Errno::ECONNREFUSED));

    // ICMP echo with the gateway.
    let (icmp, ident) = socket::icmp_open().expect("an ICMP socket");
    let request = exoscore::net::ping::echo_request(ident, 1, now_ns(), 56);
    c.equal("send an echo request", socket::icmp_send(icmp, &request, GATEWAY), Ok(()));
    let reply = socket::icmp_recv(icmp, &mut buf[..], Some(now_ns() + 2_000_000_000));
    let parsed = reply.ok().and_then(|(n, from)| exoscore::net::ping::parse_reply(&buf[..n]).map(|r| (r.ident, r.seq, from)));
    c.equal("the gateway answers it", parsed, Some((ident, 1, GATEWAY)));
    c.finish()
}

exos::main!(main);
