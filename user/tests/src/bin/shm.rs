//! ExOS shared-memory channels between environments (children are copies of this program, started
//! by `spawn`): 10^4 messages of varying size echoed (transformed) by a child and checked; 10^4
//! messages streamed through a full queue and checked by the child in order; over-long messages
//! refused; and a peer that dies ends the wait instead of hanging it.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::sync::atomic::{AtomicU64, Ordering};
use exos::ipc::shm::{Channel, Receiver, Sender, ShmError, MAX_MESSAGE};
use exos::sys::syscall::sys_env_exit;
use user::{spawn, Checks};

const MESSAGES: u64 = 10_000;

static ROLE: AtomicU64 = AtomicU64::new(0);
static BASE_A: AtomicU64 = AtomicU64::new(0);
static BASE_B: AtomicU64 = AtomicU64::new(0);

const ECHO: u64 = 1;
const STREAM_CHECK: u64 = 2;
const SEND_THREE_AND_DIE: u64 = 3;
const RECEIVER_DIES: u64 = 4;

fn fail(what: &str, e: ShmError) -> ! {
    exos::println!("shm child: FAIL: {what}: {e}");
    sys_env_exit(1)
}

fn message_len(i: u64) -> usize {
    ((i * 7919) % (MAX_MESSAGE as u64 + 1)) as usize
}

fn message_byte(i: u64, j: usize) -> u8 {
    (i ^ (i >> 8) ^ (j as u64).wrapping_mul(13)) as u8
}

extern "C" fn child_main() -> ! {
    let (a, b) = (BASE_A.load(Ordering::Relaxed), BASE_B.load(Ordering::Relaxed));
    let mut buf = [0u8; MAX_MESSAGE];
    match ROLE.load(Ordering::Relaxed) {
        ECHO => {
            let mut input = Receiver::attach(a).unwrap_or_else(|e| fail("attach A", e));
            let mut output = Sender::attach(b).unwrap_or_else(|e| fail("attach B", e));
            for _ in 0..MESSAGES {
                let len = input.recv(&mut buf).unwrap_or_else(|e| fail("recv", e));
                for byte in &mut buf[..len] {
                    *byte = byte.wrapping_add(1);
                }
                output.send(&buf[..len]).unwrap_or_else(|e| fail("send", e));
            }
        }
        STREAM_CHECK => {
            let mut input = Receiver::attach(a).unwrap_or_else(|e| fail("attach A", e));
            let mut output = Sender::attach(b).unwrap_or_else(|e| fail("attach B", e));
            let mut bad = 0u64;
            for i in 0..MESSAGES {
                let len = input.recv(&mut buf).unwrap_or_else(|e| fail("recv", e));
                if len != message_len(i) || (0..len).any(|j| buf[j] != message_byte(i, j)) {
                    bad += 1;
                }
            }
            let mut summary = [0u8; 16];
            summary[..8].copy_from_slice(&input.received().to_le_bytes());
            summary[8..].copy_from_slice(&bad.to_le_bytes());
            output.send(&summary).unwrap_or_else(|e| fail("summary", e));
        }
        SEND_THREE_AND_DIE => {
            let mut output = Sender::attach(b).unwrap_or_else(|e| fail("attach B", e));
            for n in 0..3u8 {
                output.send(&[n; 3]).unwrap_or_else(|e| fail("send", e));
            }
            sys_env_exit(3)
        }
        RECEIVER_DIES => {
            let _input = Receiver::attach(a).unwrap_or_else(|e| fail("attach A", e));
            sys_env_exit(3)
        }
        _ => {}
    }
    sys_env_exit(0)
}

/// Two fresh channels (parent to child, child to parent) and a child with `role` on them.
fn start(role: u64) -> (Sender, Receiver) {
    let a = Channel::create(1).expect("channel A");
    let b = Channel::create(1).expect("channel B");
    let mut shared = [(0, 0); 4];
    for (slot, page) in shared.iter_mut().zip(a.shared_pages().chain(b.shared_pages())) {
        *slot = page;
    }
    ROLE.store(role, Ordering::Relaxed);
    BASE_A.store(a.base(), Ordering::Relaxed);
    BASE_B.store(b.base(), Ordering::Relaxed);
    let (child, _) = spawn(child_main, &shared).expect("spawning a child");
    (a.sender(child), b.receiver(child))
}

fn main() -> i64 {
    let mut c = Checks::new("shm");
    let mut buf = [0u8; MAX_MESSAGE];
    let mut message = [0u8; MAX_MESSAGE];

    let (mut tx, mut rx) = start(ECHO);
    c.equal("a message one byte too long", tx.send(&[0; MAX_MESSAGE + 1]), Err(ShmError::TooLong));
    let mut bad = 0;
    for i in 0..MESSAGES {
        let len = message_len(i);
        for (j, byte) in message[..len].iter_mut().enumerate() {
            *byte = message_byte(i, j);
        }
        let sent = tx.send(&message[..len]);
        let got = rx.recv(&mut buf);
        if sent.is_err() || got != Ok(len) || (0..len).any(|j| buf[j] != message[j].wrapping_add(1)) {
            bad += 1;
        }
    }
    c.equal("echoed messages intact", bad, 0);
    c.equal("counted on both sides", (tx.sent(), rx.received()), (MESSAGES, MESSAGES));

    let (mut tx, mut rx) = start(STREAM_CHECK);
    let mut failed_sends = 0;
    for i in 0..MESSAGES {
        let len = message_len(i);
        for (j, byte) in message[..len].iter_mut().enumerate() {
            *byte = message_byte(i, j);
        }
        failed_sends += u64::from(tx.send(&message[..len]).is_err());
    }
    c.equal("streamed sends", failed_sends, 0);
    c.equal("the child's summary", rx.recv(&mut buf), Ok(16));
    let word = |i: usize| u64::from_le_bytes(buf[i * 8..i * 8 + 8].try_into().unwrap_or([0xff; 8]));
    c.equal("the child received every message, in order and intact", (word(0), word(1)), (MESSAGES, 0));
    exos::println!("shm: {} messages echoed and {} streamed", MESSAGES, MESSAGES);

    let (_tx, mut rx) = start(SEND_THREE_AND_DIE);
    for n in 0..3u8 {
        c.equal("a message the dead sender sent first", (rx.recv(&mut buf), buf[0]), (Ok(3), n));
    }
    c.equal("then the sender is gone", rx.recv(&mut buf), Err(ShmError::PeerGone));

    let (mut tx, _rx) = start(RECEIVER_DIES);
    let mut sent = 0;
    let error = loop {
        match tx.send(b"into the void") {
            Ok(()) => sent += 1,
            Err(e) => break e,
        }
    };
    c.equal("sends until the queue is full, then the receiver is gone", (sent, error), (16, ShmError::PeerGone));
    c.finish()
}

exos::main!(main);
