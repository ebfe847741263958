//! A pseudo-terminal driver for interactive tests: QEMU's serial port on the slave side of a pty,
//! the test on the master side typing as a person would and reading what the guest prints.
//!
//! QEMU gets the slave as stdin and stdout with `-chardev stdio,id=s0,signal=off -serial
//! chardev:s0` ([`crate::qemu::Serial::Terminal`]), so every key reaches the guest's UART as the
//! byte a terminal sends (Enter is `\r`, Ctrl-C is 0x03, Ctrl-D 0x04, the up arrow `ESC [ A`): the
//! slave is put in raw mode first, so the host's line discipline neither edits, echoes, signals
//! nor translates anything. A thread copies everything the guest prints into the transcript;
//! [`Pty::expect`] waits for text in it after the point the previous `expect` matched.
//!
//! The only unsafe code in xtask is here: `openpty` and the termios calls, through `libc`.
#![allow(unsafe_code)]

use crate::qemu::{Captured, QEMU};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Pause between two keystrokes of [`Pty::type_line`]: about a fast typist.
const KEY_DELAY: Duration = Duration::from_millis(15);

/// What an interactive test does at the keyboard: type, expect, fail with a message.
pub type Driver = fn(&mut Pty) -> Result<(), String>;

/// A QEMU running on a pseudo-terminal.
pub struct Pty {
    master: File,
    child: Child,
    transcript: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
    /// Where the next `expect` starts looking.
    cursor: usize,
}

/// Opens a pty pair with the slave in raw mode: (master, slave).
fn open_pair() -> Result<(OwnedFd, OwnedFd), String> {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two descriptors into the two integers; the name, termios and window
    // size arguments may be null.
    let r = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    if r != 0 {
        return Err(format!("openpty: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: openpty succeeded, so both descriptors are open and owned by nobody else.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    // SAFETY: a zeroed termios is a valid value for tcgetattr to overwrite.
    let mut termios: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: `slave` is an open terminal descriptor and `termios` a valid termios to fill/read.
    let ok = unsafe {
        libc::tcgetattr(slave.as_raw_fd(), &mut termios) == 0 && {
            libc::cfmakeraw(&mut termios);
            libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &termios) == 0
        }
    };
    if !ok {
        return Err(format!("setting the pty slave raw: {}", std::io::Error::last_os_error()));
    }
    Ok((master, slave))
}

impl Pty {
    /// Starts `command` (a QEMU command built with `Serial::Terminal`) on a new pty.
    pub fn start(mut command: Command) -> Result<Pty, String> {
        let (master, slave) = open_pair()?;
        let slave_out = slave.try_clone().map_err(|e| format!("dup of the pty slave: {e}"))?;
        command.stdin(Stdio::from(slave)).stdout(Stdio::from(slave_out)).stderr(Stdio::null());
        let child = command.spawn().map_err(|e| format!("cannot start {QEMU}: {e}"))?;
        // The slave descriptors went to QEMU with `command`; ours close here, so the master reads
        // end (EIO) when QEMU exits.
        drop(command);
        let master = File::from(master);
        let mut reading = master.try_clone().map_err(|e| format!("dup of the pty master: {e}"))?;
        let transcript = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&transcript);
        let reader = std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = reading.read(&mut chunk) {
                sink.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(&chunk[..n]);
            }
        });
        Ok(Pty { master, child, transcript, reader: Some(reader), cursor: 0 })
    }

    /// The QEMU process's id (for reading its CPU time in `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the guest printed so far, as text.
    pub fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.transcript.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    /// Sends `bytes` at once (a key chord, an escape sequence).
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.master.write_all(bytes).and_then(|()| self.master.flush()).map_err(|e| format!("writing to the pty: {e}"))
    }

    /// Types `keys` one byte at a time, with a short pause after each.
    pub fn type_keys(&mut self, keys: &[u8]) -> Result<(), String> {
        for &key in keys {
            self.send(&[key])?;
            std::thread::sleep(KEY_DELAY);
        }
        Ok(())
    }

    /// Types `line` and Enter (`\r`, what a terminal sends).
    pub fn type_line(&mut self, line: &str) -> Result<(), String> {
        self.type_keys(line.as_bytes())?;
        self.type_keys(b"\r")
    }

    /// Waits up to `timeout` for `needle` to appear after the previous match; returns the text from
    /// there to the end of the match. The error holds the transcript.
    pub fn expect(&mut self, needle: &str, timeout: Duration) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let text = self.transcript();
            let from = self.cursor.min(text.len());
            if let Some(at) = text.get(from..).and_then(|rest| rest.find(needle)) {
                let end = from + at + needle.len();
                self.cursor = end;
                return Ok(text[from..end].to_string());
            }
            if Instant::now() >= deadline {
                return Err(format!("`{}` did not appear within {} s; transcript:\n{}", needle.escape_debug(), timeout.as_secs(), text));
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100)); // the last output
                if !self.transcript().get(from..).is_some_and(|rest| rest.contains(needle)) {
                    return Err(format!("QEMU ended ({status}) before `{}` appeared; transcript:\n{}", needle.escape_debug(), self.transcript()));
                }
                continue;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits up to `timeout` for QEMU to end (killing it then) and returns the run as a test
    /// capture: the transcript is the serial output.
    pub fn finish(mut self, timeout: Duration) -> Result<Captured, String> {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().map_err(|e| format!("waiting for {QEMU}: {e}"))? {
                break Some(status);
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let serial = self.transcript.lock().unwrap_or_else(|e| e.into_inner()).clone();
        Ok(Captured { status, serial, stderr: Vec::new() })
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if self.reader.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `command` on a pty, lets `drive` type and expect, then waits for the end (`timeout` for
/// the whole run). A failure of `drive` fails the run, with the transcript in the message.
pub fn run(command: Command, drive: Driver, timeout: Duration) -> Result<Captured, String> {
    let mut pty = Pty::start(command)?;
    let start = Instant::now();
    drive(&mut pty)?;
    pty.finish(timeout.saturating_sub(start.elapsed()))
}
