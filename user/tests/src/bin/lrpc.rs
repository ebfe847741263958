//! ExOS LRPC over synchronous protected control transfer: a server (a copy of this program,
//! started by `spawn`) registers numbered procedures; the client binds (getting an argument stack
//! the server owns), makes 10^4 calls with checked results, passes a big argument and gets a big
//! result through the argument stack, and sees unknown procedures, application errors, over-long
//! arguments, a second binding and a server that dies refused with the right error.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use exos::ipc::lrpc::{self, Client, LrpcError, Procedure, Procedures, Request};
use exos::sys::syscall::sys_env_exit;
use user::{spawn, Checks};

const CALLS: u64 = 10_000;

const ADD: u64 = 0;
const CHECKSUM_REVERSE: u64 = 1;
const FAIL: u64 = 2;
const WHO: u64 = 3;
const FILL: u64 = 4;
const DIE: u64 = 5;

struct Calculator;

impl Procedures for Calculator {
    const TABLE: &'static [Procedure] = &[add, checksum_reverse, fail, who, fill, die];
}

fn add(r: &mut Request<'_>) -> Result<u64, u64> {
    Ok(r.args[0].wrapping_add(r.args[1].wrapping_mul(r.args[2])))
}

/// Returns the sum of the input bytes and leaves the input reversed as the output.
fn checksum_reverse(r: &mut Request<'_>) -> Result<u64, u64> {
    let sum = r.input().iter().map(|&b| u64::from(b)).sum();
    let len = r.input().len();
    r.buffer()[..len].reverse();
    r.set_output_len(len);
    Ok(sum)
}

fn fail(r: &mut Request<'_>) -> Result<u64, u64> {
    Err(r.args[0])
}

fn who(r: &mut Request<'_>) -> Result<u64, u64> {
    Ok(r.caller)
}

/// Writes `args[0]` bytes of a pattern as the output.
fn fill(r: &mut Request<'_>) -> Result<u64, u64> {
    let len = (r.args[0] as usize).min(r.buffer().len());
    for (i, byte) in r.buffer()[..len].iter_mut().enumerate() {
        *byte = pattern(i);
    }
    r.set_output_len(len);
    Ok(len as u64)
}

fn die(_: &mut Request<'_>) -> Result<u64, u64> {
    sys_env_exit(9)
}

fn pattern(i: usize) -> u8 {
    (i * 7 + i / 251) as u8
}

extern "C" fn server_main() -> ! {
    let e = lrpc::serve::<Calculator>();
    exos::println!("lrpc server: FAIL: {e:?}");
    sys_env_exit(1)
}

fn main() -> i64 {
    let mut c = Checks::new("lrpc");
    let (server, slot) = spawn(server_main, &[]).expect("spawning the server");
    let mut client = match Client::bind(server, slot, 4) {
        Ok(client) => client,
        Err(e) => {
            exos::println!("lrpc: FAIL: bind: {e}");
            return 1;
        }
    };
    c.equal("the argument stack", client.capacity(), 4 * 4096 - 64);

    let mut bad = 0;
    for i in 0..CALLS {
        if client.call(ADD, [i, i + 1, 3]) != Ok(i + (i + 1) * 3) {
            bad += 1;
        }
    }
    c.equal("calls with the right result", bad, 0);
    exos::println!("lrpc: {CALLS} calls checked");

    c.equal("unknown procedure", client.call(99, [0; 3]), Err(LrpcError::UnknownProcedure));
    c.equal("unknown procedure, just past the table", client.call(DIE + 1, [0; 3]), Err(LrpcError::UnknownProcedure));
    c.equal("an application error", client.call(FAIL, [7, 0, 0]), Err(LrpcError::Failed(7)));
    c.equal("the server knows its caller", client.call(WHO, [0; 3]), exos::ipc::region::self_id().map_err(LrpcError::Kernel));

    // A big argument through the argument stack, copied in and out.
    let mut input = [0u8; 12_000];
    for (i, byte) in input.iter_mut().enumerate() {
        *byte = pattern(i);
    }
    let expected_sum: u64 = input.iter().map(|&b| u64::from(b)).sum();
    let mut output = [0u8; 12_000];
    c.equal("a 12000-byte argument", client.call_with(CHECKSUM_REVERSE, [0; 3], &input, &mut output), Ok((expected_sum, 12_000)));
    c.check("its output, reversed", output.iter().rev().eq(input.iter()));
    // Written in place, as LRPC intends.
    client.buffer()[..3].copy_from_slice(b"abc");
    c.equal("in place", client.call_buffer(CHECKSUM_REVERSE, [0; 3], 3), Ok((294, 3)));
    c.check("output in place", &client.buffer()[..3] == b"cba");
    let capacity = client.capacity();
    c.equal("a big result", client.call_buffer(FILL, [capacity as u64, 0, 0], 0), Ok((capacity as u64, capacity)));
    c.check("its bytes", client.buffer().iter().enumerate().all(|(i, &b)| b == pattern(i)));
    c.equal("an argument larger than the stack", client.call_buffer(ADD, [0; 3], capacity + 1).err(), Some(LrpcError::BadRequest));
    c.equal("a second binding is refused", Client::bind(server, slot, 1).err(), Some(LrpcError::Refused));
    c.equal("an argument stack too big is refused", Client::bind(server, slot, 5).err(), Some(LrpcError::Refused));
    c.equal("still serving", client.call(ADD, [1, 2, 3]), Ok(7));

    c.equal("the server dies during a call", client.call(DIE, [0; 3]), Err(LrpcError::ServerGone));
    c.equal("and stays gone", client.call(ADD, [1, 2, 3]), Err(LrpcError::ServerGone));
    c.check("the client sees it", !client.server_alive());
    c.finish()
}

exos::main!(main);
