//! Lightweight remote procedure call over synchronous protected control transfer, after Bershad's
//! LRPC: the client's thread of control moves into the server (`pct_call`), runs the procedure on
//! the server's stack and comes back with the reply (`pct_reply`); nothing is copied by the
//! kernel and no scheduling decision is made.
//!
//! - A server lists its procedures by number ([`Procedures`]) and calls [`serve`], which registers
//!   the ExOS entry point (`pct_set_entry`) and waits.
//! - A client binds once ([`Client::bind`]): the server allocates the client's **argument stack**
//!   (A-stack), a region of up to [`MAX_ASTACK_PAGES`] pages it owns, and grants it to the client,
//!   which maps it. Arguments and results that do not fit in registers go there; the client writes
//!   them in place ([`Client::buffer`]) or has them copied ([`Client::call_with`]). The server
//!   owns the pages, so a client cannot pull them away in the middle of a call; when the server
//!   ends they go, and the client checks the server is alive before it touches them.
//! - A call passes the procedure number, the input length and three arguments in registers; the
//!   procedure's `u64` result comes back in a register and its status and output length in the
//!   A-stack's first words. Unknown procedure numbers and bad lengths are refused by the server
//!   ([`LrpcError::UnknownProcedure`], [`LrpcError::BadRequest`]); the server never trusts what a
//!   client wrote in the A-stack.
use crate::ipc::region::{self, Region};
use crate::sys::syscall::{sys_env_exit, sys_pct_call, sys_pct_reply, sys_pct_set_entry, sys_pct_wait};
use abi::Error;
use core::sync::atomic::{AtomicU64, Ordering};

/// The largest A-stack a client may ask for, in pages.
pub const MAX_ASTACK_PAGES: usize = 4;
/// The A-stack's header: status and output length, before the data.
const DATA_AT: usize = 64;
const STATUS_AT: usize = 0;
const OUT_LEN_AT: usize = 8;
/// The procedure number of the binding call.
const BIND: u64 = u64::MAX;
/// The reply to a refused binding, or to a call from a client that is not bound.
const REFUSED: u64 = u64::MAX;

const STATUS_PENDING: u64 = 0;
const STATUS_OK: u64 = 1;
const STATUS_UNKNOWN: u64 = 2;
const STATUS_FAILED: u64 = 3;
const STATUS_BAD_REQUEST: u64 = 4;

/// Why a call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LrpcError {
    /// The server has no procedure with that number.
    UnknownProcedure,
    /// The procedure ran and returned this error code.
    Failed(u64),
    /// The input or output length does not fit the A-stack.
    BadRequest,
    /// The server refused the binding or does not know this client.
    Refused,
    /// The server has ended (before or during the call).
    ServerGone,
    /// A system call failed.
    Kernel(Error),
}

impl From<Error> for LrpcError {
    fn from(e: Error) -> LrpcError {
        LrpcError::Kernel(e)
    }
}

impl core::fmt::Display for LrpcError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LrpcError::UnknownProcedure => f.write_str("unknown procedure"),
            LrpcError::Failed(code) => write!(f, "the procedure failed with code {code}"),
            LrpcError::BadRequest => f.write_str("arguments do not fit the argument stack"),
            LrpcError::Refused => f.write_str("the server refused the client"),
            LrpcError::ServerGone => f.write_str("the server has ended"),
            LrpcError::Kernel(e) => write!(f, "system call failed: {e:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Server

/// What a procedure sees of a call.
pub struct Request<'a> {
    /// The calling environment's id (from the kernel, so it can be trusted).
    pub caller: u64,
    /// The three register arguments.
    pub args: [u64; 3],
    buffer: &'a mut [u8],
    input: usize,
    output: usize,
}

impl Request<'_> {
    /// The input the client put in the A-stack.
    pub fn input(&self) -> &[u8] {
        &self.buffer[..self.input]
    }

    /// The whole A-stack data area (input first), to compute the output in place.
    pub fn buffer(&mut self) -> &mut [u8] {
        self.buffer
    }

    /// Says the output is the first `len` bytes of [`Request::buffer`] (cut to its size).
    pub fn set_output_len(&mut self, len: usize) {
        self.output = len.min(self.buffer.len());
    }

    /// Copies `data` to the A-stack as the output (cut to fit).
    pub fn reply_bytes(&mut self, data: &[u8]) {
        let len = data.len().min(self.buffer.len());
        self.buffer[..len].copy_from_slice(&data[..len]);
        self.output = len;
    }
}

/// A procedure: `Ok(value)` is the result, `Err(code)` an application error.
pub type Procedure = fn(&mut Request<'_>) -> Result<u64, u64>;

/// A server's procedures: procedure number `n` is `TABLE[n]`.
pub trait Procedures {
    const TABLE: &'static [Procedure];
}

/// The size of the stack calls run on in the server.
const SERVER_STACK_PAGES: usize = 4;

/// Each client's binding, by environment-table index: its id, the A-stack's address, its page
/// count, and its page capabilities (four 16-bit slots).
static BINDINGS: [[AtomicU64; 4]; abi::MAX_ENVS] = [const { [const { AtomicU64::new(0) }; 4] }; abi::MAX_ENVS];

/// Serves the procedures of `P` forever: maps a stack for calls, registers the entry point and
/// waits for calls. Returns only to report that registering failed.
pub fn serve<P: Procedures>() -> Error {
    let stack = match Region::create(SERVER_STACK_PAGES) {
        Ok(stack) => stack,
        Err(e) => return e,
    };
    let top = stack.base() + stack.len() as u64;
    if let Err(e) = sys_pct_set_entry(entry::<P>, top) {
        return e;
    }
    sys_pct_wait()
}

/// The entry point every call lands on: bind or dispatch, reply, and wait again.
extern "C" fn entry<P: Procedures>(caller: u64, procedure: u64, input: u64, a: u64, b: u64, c: u64) -> ! {
    let value = if procedure == BIND { bind(caller, input as usize) } else { dispatch::<P>(caller, procedure, input, [a, b, c]) };
    let _ = sys_pct_reply(caller, value);
    // The reply failed (the caller is gone): wait for the next call.
    let e = sys_pct_wait();
    crate::println!("lrpc: server cannot wait for calls: {e:?}");
    sys_env_exit(1)
}

/// Gives `caller` a fresh A-stack of `pages` pages; replies the page capabilities' slots in the
/// caller's table, 16 bits each.
fn bind(caller: u64, pages: usize) -> u64 {
    if !(1..=MAX_ASTACK_PAGES).contains(&pages) {
        return REFUSED;
    }
    let entry = &BINDINGS[abi::env_index(caller)];
    let old = entry[0].load(Ordering::Relaxed);
    if old == caller {
        return REFUSED; // bound already
    }
    if old != 0 {
        // The previous client at this index has ended: free its A-stack.
        let slots = unpack(entry[3].load(Ordering::Relaxed), entry[2].load(Ordering::Relaxed) as usize);
        let count = entry[2].load(Ordering::Relaxed) as usize;
        Region::from_parts(entry[1].load(Ordering::Relaxed), &slots[..count]).release();
        entry[0].store(0, Ordering::Relaxed);
    }
    let Ok(region) = Region::create(pages) else { return REFUSED };
    let mut granted = [0u64; MAX_ASTACK_PAGES];
    if region.grant(caller, &mut granted).is_err() {
        region.release();
        return REFUSED;
    }
    let own: [u64; MAX_ASTACK_PAGES] = core::array::from_fn(|i| region.shared_pages().nth(i).map_or(0, |(_, slot)| slot));
    entry[1].store(region.base(), Ordering::Relaxed);
    entry[2].store(pages as u64, Ordering::Relaxed);
    entry[3].store(pack(&own), Ordering::Relaxed);
    entry[0].store(caller, Ordering::Relaxed);
    pack(&granted)
}

fn dispatch<P: Procedures>(caller: u64, procedure: u64, input: u64, args: [u64; 3]) -> u64 {
    let entry = &BINDINGS[abi::env_index(caller)];
    if entry[0].load(Ordering::Relaxed) != caller {
        return REFUSED;
    }
    let mut astack = Region::known(entry[1].load(Ordering::Relaxed), entry[2].load(Ordering::Relaxed) as usize);
    let data_len = astack.len() - DATA_AT;
    let (status, value, output) = match P::TABLE.get(procedure as usize) {
        _ if input as usize > data_len => (STATUS_BAD_REQUEST, 0, 0),
        None => (STATUS_UNKNOWN, 0, 0),
        Some(procedure) => {
            let mut request = Request { caller, args, buffer: astack.bytes_mut(DATA_AT, data_len), input: input as usize, output: 0 };
            match procedure(&mut request) {
                Ok(value) => (STATUS_OK, value, request.output),
                Err(code) => (STATUS_FAILED, code, 0),
            }
        }
    };
    astack.at::<AtomicU64>(OUT_LEN_AT).store(output as u64, Ordering::Relaxed);
    astack.at::<AtomicU64>(STATUS_AT).store(status, Ordering::Release);
    value
}

fn pack(slots: &[u64]) -> u64 {
    slots.iter().take(4).enumerate().fold(0, |packed, (i, &slot)| packed | ((slot & 0xffff) << (16 * i)))
}

fn unpack(packed: u64, count: usize) -> [u64; MAX_ASTACK_PAGES] {
    core::array::from_fn(|i| if i < count { (packed >> (16 * i)) & 0xffff } else { 0 })
}

// ---------------------------------------------------------------------------------------------
// Client

/// A client's binding to a server.
pub struct Client {
    server: u64,
    slot: u64,
    astack: Region,
}

impl Client {
    /// Binds to the server environment `server` (id), named by capability `slot` (which needs
    /// `EXECUTE`), with an A-stack of `pages` pages. Waits for the server to be ready.
    pub fn bind(server: u64, slot: u64, pages: usize) -> Result<Client, LrpcError> {
        let reply = transfer(server, slot, [BIND, pages as u64, 0, 0, 0])?;
        if reply == REFUSED || !(1..=MAX_ASTACK_PAGES).contains(&pages) {
            return Err(LrpcError::Refused);
        }
        let slots = unpack(reply, pages);
        let astack = Region::map_granted(&slots[..pages])?;
        Ok(Client { server, slot, astack })
    }

    /// How many bytes of arguments or results the A-stack holds.
    pub fn capacity(&self) -> usize {
        self.astack.len() - DATA_AT
    }

    /// The A-stack's data area, to write a call's input in place (and read its output). The pages
    /// are the server's: once it has ended they are gone and touching them faults (check
    /// [`Client::server_alive`] first if the server may have ended).
    pub fn buffer(&mut self) -> &mut [u8] {
        let len = self.capacity();
        self.astack.bytes_mut(DATA_AT, len)
    }

    /// Whether the server still exists (and with it the A-stack).
    pub fn server_alive(&self) -> bool {
        region::alive(self.server)
    }

    /// Calls `procedure` with register arguments only; returns its result.
    pub fn call(&mut self, procedure: u64, args: [u64; 3]) -> Result<u64, LrpcError> {
        self.call_buffer(procedure, args, 0).map(|(value, _)| value)
    }

    /// Calls `procedure` with the first `input` bytes of [`Client::buffer`] as its input; returns
    /// the result and the length of the output the procedure left at the start of the buffer.
    pub fn call_buffer(&mut self, procedure: u64, args: [u64; 3], input: usize) -> Result<(u64, usize), LrpcError> {
        if input > self.capacity() || procedure == BIND {
            return Err(LrpcError::BadRequest);
        }
        // The A-stack is the server's: it goes when the server ends, so look before touching it.
        if !region::alive(self.server) {
            return Err(LrpcError::ServerGone);
        }
        let status = self.astack.at::<AtomicU64>(STATUS_AT);
        status.store(STATUS_PENDING, Ordering::Relaxed);
        let value = transfer(self.server, self.slot, [procedure, input as u64, args[0], args[1], args[2]])?;
        let output = (self.astack.at::<AtomicU64>(OUT_LEN_AT).load(Ordering::Relaxed) as usize).min(self.capacity());
        match status.load(Ordering::Acquire) {
            STATUS_OK => Ok((value, output)),
            STATUS_UNKNOWN => Err(LrpcError::UnknownProcedure),
            STATUS_FAILED => Err(LrpcError::Failed(value)),
            STATUS_BAD_REQUEST => Err(LrpcError::BadRequest),
            _ => Err(LrpcError::Refused),
        }
    }

    /// Copies `input` to the A-stack, calls `procedure`, and copies the output to `output` (cut
    /// to fit); returns the result and the output's full length.
    pub fn call_with(&mut self, procedure: u64, args: [u64; 3], input: &[u8], output: &mut [u8]) -> Result<(u64, usize), LrpcError> {
        if input.len() > self.capacity() {
            return Err(LrpcError::BadRequest);
        }
        if !region::alive(self.server) {
            return Err(LrpcError::ServerGone);
        }
        self.astack.write_bytes(DATA_AT, input);
        let (value, len) = self.call_buffer(procedure, args, input.len())?;
        let copy = len.min(output.len());
        self.astack.read_bytes(DATA_AT, &mut output[..copy]);
        Ok((value, len))
    }
}

/// One protected control transfer, retried (giving the CPU to the server) while the server is
/// not waiting for calls yet or serves another client.
fn transfer(server: u64, slot: u64, args: [u64; 5]) -> Result<u64, LrpcError> {
    loop {
        match sys_pct_call(slot, args) {
            Err(Error::Busy | Error::NoEntry) => wait_for_server(server),
            Err(Error::NoSuchEnv) => return Err(LrpcError::ServerGone),
            Err(e) => return Err(LrpcError::Kernel(e)),
            Ok(value) => return Ok(value),
        }
    }
}

/// The server is not at its entry: give it the CPU if it can run; if it is blocked in a call of
/// its own, give the CPU to whoever runs (its callee); if it sleeps, sleep a millisecond (no
/// transfer can wake a caller: it is the one who transfers) instead of spinning.
#[cold]
#[inline(never)]
fn wait_for_server(server: u64) {
    if region::runnable(server) {
        region::yield_to(server);
    } else if crate::sys::vm::env_word(abi::env_index(server), 2) == abi::ENV_BLOCKED {
        region::yield_to(0);
    } else {
        let soon = crate::sys::wait::now_ns().saturating_add(1_000_000);
        crate::sys::wait::sleep(0, Some(soon));
    }
}
