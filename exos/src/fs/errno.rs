//! The error and metadata types of the file API: [`Errno`] (POSIX names and meanings), [`Stat`]
//! and [`FileKind`], shared by the boot file system, `/tmp` and the descriptor calls.
use core::fmt;
use kcore::initrd::{Kind, Node};

/// Why a file operation failed (the POSIX name and meaning).
#[allow(clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Errno {
    /// No such file or directory.
    ENOENT,
    /// Not an open file descriptor, or not open for that (writing a read-only file).
    EBADF,
    /// Is a directory (reading one, opening one for writing).
    EISDIR,
    /// A path component is not a directory (or `O_DIRECTORY` on a file, `readdir` of a file).
    ENOTDIR,
    /// Invalid argument (a negative offset, an unknown `whence`, a descriptor out of range).
    EINVAL,
    /// Broken pipe: every reader closed.
    EPIPE,
    /// The descriptor table is full.
    EMFILE,
    /// Read-only file system: the boot archive cannot be written or created in.
    EROFS,
    /// Illegal seek: the descriptor is a pipe or the console.
    ESPIPE,
    /// The boot archive is missing or malformed.
    EIO,
    /// No space left on device: the `/tmp` pool is full (pages or file table).
    ENOSPC,
    /// File name too long (a `/tmp` name over `tmpfs::NAME_MAX` bytes).
    ENAMETOOLONG,
    /// Resource temporarily unavailable: a non-blocking call found nothing to do.
    EAGAIN,
    /// Address already in use: another environment holds the port (the kernel refused the claim).
    EADDRINUSE,
    /// Connection refused: the peer answered the connection request with a reset.
    ECONNREFUSED,
    /// Connection reset by the peer.
    ECONNRESET,
    /// The socket is not connected (a send on an unconnected UDP socket, a read before `connect`).
    ENOTCONN,
    /// Operation timed out (a connection or a DHCP lease that did not come).
    ETIMEDOUT,
    /// The network is down: no NIC, or the interface has no address and this program may not
    /// configure it.
    ENETDOWN,
    /// The network is unreachable (no route to the address).
    ENETUNREACH,
    /// Message too long for one datagram.
    EMSGSIZE,
    /// The descriptor is not a socket (or the socket belongs to another process's stack).
    ENOTSOCK,
    /// The name exists already (`mkdir` of an existing path).
    EEXIST,
    /// A rename between two file systems (e.g. `/tmp` to the boot archive).
    EXDEV,
    /// The operation is not supported by this file system (e.g. a directory under `/tmp`).
    EOPNOTSUPP,
    /// A system call failed.
    Kernel(abi::Error),
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Errno::ENOENT => "ENOENT: no such file or directory",
            Errno::EBADF => "EBADF: bad file descriptor",
            Errno::EISDIR => "EISDIR: is a directory",
            Errno::ENOTDIR => "ENOTDIR: not a directory",
            Errno::EINVAL => "EINVAL: invalid argument",
            Errno::EPIPE => "EPIPE: broken pipe",
            Errno::EMFILE => "EMFILE: too many open files",
            Errno::EROFS => "EROFS: read-only file system",
            Errno::ESPIPE => "ESPIPE: illegal seek",
            Errno::EIO => "EIO: the boot archive is missing or malformed",
            Errno::ENOSPC => "ENOSPC: no space left on device",
            Errno::ENAMETOOLONG => "ENAMETOOLONG: file name too long",
            Errno::EAGAIN => "EAGAIN: resource temporarily unavailable",
            Errno::EADDRINUSE => "EADDRINUSE: address already in use",
            Errno::ECONNREFUSED => "ECONNREFUSED: connection refused",
            Errno::ECONNRESET => "ECONNRESET: connection reset by peer",
            Errno::ENOTCONN => "ENOTCONN: socket is not connected",
            Errno::ETIMEDOUT => "ETIMEDOUT: connection timed out",
            Errno::ENETDOWN => "ENETDOWN: network is down",
            Errno::ENETUNREACH => "ENETUNREACH: network is unreachable",
            Errno::EMSGSIZE => "EMSGSIZE: message too long",
            Errno::ENOTSOCK => "ENOTSOCK: not a socket",
            Errno::EEXIST => "EEXIST: file exists",
            Errno::EXDEV => "EXDEV: cross-device link",
            Errno::EOPNOTSUPP => "EOPNOTSUPP: operation not supported",
            Errno::Kernel(e) => return write!(f, "EIO: system call failed: {e:?}"),
        };
        f.write_str(text)
    }
}

impl From<abi::Error> for Errno {
    fn from(e: abi::Error) -> Errno {
        Errno::Kernel(e)
    }
}

/// What `stat` and `fstat` report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// Bytes (0 for directories, pipes and the console).
    pub size: u64,
    /// The whole mode, type bits included (`0o100644`, `0o040755`, `0o010600` for a pipe,
    /// `0o020620` for the console, `0o140777` for a socket).
    pub mode: u32,
    pub kind: FileKind,
}

/// What a path or a descriptor names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    File,
    Dir,
    Pipe,
    Console,
    Socket,
}

/// What a directory listing yields, with its [`Stat`]: an archive node or a descriptor-level
/// directory entry (`fd::DirEntry`).
pub trait Described {
    fn stat(&self) -> Stat;
}

impl Described for Node<'_> {
    fn stat(&self) -> Stat {
        let kind = if self.kind == Kind::Dir { FileKind::Dir } else { FileKind::File };
        Stat { size: self.size() as u64, mode: self.mode, kind }
    }
}

impl Stat {
    /// The stat of an archive node or a directory entry.
    pub fn of(node: &impl Described) -> Stat {
        node.stat()
    }
}

