//! Descriptors handed over by number (`new Socket({ fd })`, `server.listen({ fd })`): what
//! kind each one is, named as libuv's uv_guess_handle names it, and taking one over.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, IntoRawFd};

use socket2::{Domain, SockRef, Socket, Type};

/// Node's name for the kind of `fd`: TCP, PIPE (Unix sockets and FIFOs), UDP, TTY, FILE or
/// UNKNOWN (which includes a descriptor that is not open).
pub fn handle_type(fd: i32) -> &'static str {
  if fd < 0 {
    return "UNKNOWN";
  }
  // SAFETY: isatty only reads the descriptor table; a closed fd makes it fail.
  if unsafe { libc::isatty(fd) } == 1 {
    return "TTY";
  }
  match file_type(fd) {
    Some(libc::S_IFREG | libc::S_IFCHR) => "FILE",
    Some(libc::S_IFIFO) => "PIPE",
    Some(libc::S_IFSOCK) => socket_type(fd),
    _ => "UNKNOWN",
  }
}

/// The S_IFMT bits of what `fd` refers to, or None when it is not open.
fn file_type(fd: i32) -> Option<libc::mode_t> {
  let mut stat = MaybeUninit::<libc::stat>::uninit();
  // SAFETY: fstat only reads the descriptor table and fills `stat` when it returns 0.
  if unsafe { libc::fstat(fd, stat.as_mut_ptr()) } != 0 {
    return None;
  }
  // SAFETY: fstat returned 0.
  Some(unsafe { stat.assume_init() }.st_mode & libc::S_IFMT)
}

fn socket_type(fd: i32) -> &'static str {
  // SAFETY: the caller saw `fd` open; it is only borrowed for two getsockopt-like calls.
  let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
  let socket = SockRef::from(&borrowed);
  let (Ok(kind), Ok(local)) = (socket.r#type(), socket.local_addr()) else {
    return "UNKNOWN";
  };
  let domain = Domain::from(i32::from(local.family()));
  let ip = domain == Domain::IPV4 || domain == Domain::IPV6;
  match kind {
    Type::STREAM if ip => "TCP",
    Type::STREAM if domain == Domain::UNIX => "PIPE",
    Type::DGRAM if ip => "UDP",
    _ => "UNKNOWN",
  }
}

/// Takes over `fd`, a stream socket (or a FIFO, if `fifo_ok`), and makes it non-blocking,
/// as libuv's open does; with `duplicate`, takes a duplicate instead and leaves `fd` to its
/// owner. Returns the descriptor (as a Socket, whatever it is) and whether it is a FIFO.
/// On error nothing is taken.
pub fn adopt(fd: i32, duplicate: bool, fifo_ok: bool) -> io::Result<(Socket, bool)> {
  if fd < 0 {
    return Err(io::Error::from_raw_os_error(libc::EBADF));
  }
  let fifo = fifo_ok && file_type(fd) == Some(libc::S_IFIFO);
  {
    // SAFETY: borrowed for the checks only; a closed fd makes getsockopt fail with EBADF.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let socket = SockRef::from(&borrowed);
    if !fifo && socket.r#type()? != Type::STREAM {
      return Err(io::Error::from_raw_os_error(libc::ENOTSOCK));
    }
    // Before taking it over, so that a failure leaves the descriptor open.
    socket.set_nonblocking(true)?;
  }
  if duplicate {
    // SAFETY: F_DUPFD_CLOEXEC returns a new descriptor that only this socket owns.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if copy < 0 {
      return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    return Ok((unsafe { Socket::from_raw_fd(copy) }, fifo));
  }
  // SAFETY: the caller gives the descriptor away, as with libuv's uv_tcp_open.
  Ok((unsafe { Socket::from_raw_fd(fd) }, fifo))
}

/// Closes a descriptor rsnet owns, except stdin, stdout and stderr (taken by number), which
/// libuv never closes either: the process keeps writing to them after the socket is gone.
///
/// A socket with SO_LINGER on (TCP controls' `linger`; asked only once some socket had it)
/// closes on the runtime's blocking pool: its close() blocks until the peer has taken what
/// is unsent or the time is up, which on the I/O thread would stall every other socket.
pub fn release(socket: Option<Socket>) {
  let Some(socket) = socket else { return };
  if socket.as_raw_fd() <= libc::STDERR_FILENO {
    let _ = socket.into_raw_fd();
  } else if crate::tcp_controls::linger_ever_set()
    && socket
      .linger()
      .is_ok_and(|l| l.is_some_and(|d| !d.is_zero()))
  {
    // Without a runtime (never seen: the socket came through it), the close blocks here.
    if let Ok(runtime) = crate::runtime::handle() {
      drop(runtime.spawn_blocking(move || drop(socket)));
    }
  }
}

/// Whether `fd` was opened for reading and for writing.
pub fn access(fd: i32) -> (bool, bool) {
  // SAFETY: F_GETFL only reads the descriptor's flags.
  let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
  if flags < 0 {
    return (true, true);
  }
  let mode = flags & libc::O_ACCMODE;
  (mode != libc::O_WRONLY, mode != libc::O_RDONLY)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn names_descriptors_as_libuv_does() {
    let tcp = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let udp = Socket::new(Domain::IPV6, Type::DGRAM, None).unwrap();
    let unix = Socket::new(Domain::UNIX, Type::STREAM, None).unwrap();
    let unix_dgram = Socket::new(Domain::UNIX, Type::DGRAM, None).unwrap();
    let file = std::fs::File::open("Cargo.toml").unwrap();
    let mut fds = [0; 2];
    // SAFETY: pipe fills both descriptors.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    assert_eq!(handle_type(tcp.as_raw_fd()), "TCP");
    assert_eq!(handle_type(udp.as_raw_fd()), "UDP");
    assert_eq!(handle_type(unix.as_raw_fd()), "PIPE");
    assert_eq!(handle_type(unix_dgram.as_raw_fd()), "UNKNOWN");
    assert_eq!(handle_type(file.as_raw_fd()), "FILE");
    assert_eq!(handle_type(fds[0]), "PIPE");
    assert_eq!(handle_type(-1), "UNKNOWN");
    // Unless asked for, a pipe is refused and left open.
    assert_eq!(
      adopt(fds[0], false, false).unwrap_err().raw_os_error(),
      Some(libc::ENOTSOCK)
    );
    assert_eq!(handle_type(fds[0]), "PIPE");
    let (fifo, is_fifo) = adopt(fds[0], true, true).unwrap();
    assert!(is_fifo);
    drop(fifo);
    // A duplicate leaves the original to its owner.
    let (copy, is_fifo) = adopt(unix.as_raw_fd(), true, true).unwrap();
    assert!(!is_fifo);
    assert_ne!(copy.as_raw_fd(), unix.as_raw_fd());
    drop(copy);
    assert_eq!(handle_type(unix.as_raw_fd()), "PIPE");
    let raw = tcp.into_raw_fd();
    let (adopted, _) = adopt(raw, false, false).unwrap();
    assert_eq!(adopted.as_raw_fd(), raw);
    assert!(adopted.nonblocking().unwrap());
    // SAFETY: closing the test's own pipe.
    unsafe {
      libc::close(fds[0]);
      libc::close(fds[1]);
    }
  }
}
