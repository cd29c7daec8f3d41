//! Descriptors handed over by number (`new Socket({ fd })`, `server.listen({ fd })`): what
//! kind each one is, named as libuv's uv_guess_handle names it, and taking one over.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{BorrowedFd, FromRawFd};

use socket2::{Domain, SockRef, Socket, Type};

/// Node's name for the kind of `fd`: TCP, PIPE (Unix sockets and FIFOs), UDP, TTY, FILE or
/// UNKNOWN (which includes a descriptor that is not open).
pub fn handle_type(fd: i32) -> &'static str {
  if fd < 0 {
    return "UNKNOWN";
  }
  // SAFETY: isatty and fstat only read the descriptor table; a closed fd makes them fail.
  if unsafe { libc::isatty(fd) } == 1 {
    return "TTY";
  }
  let mut stat = MaybeUninit::<libc::stat>::uninit();
  // SAFETY: as above; fstat fills `stat` when it returns 0.
  if unsafe { libc::fstat(fd, stat.as_mut_ptr()) } != 0 {
    return "UNKNOWN";
  }
  // SAFETY: fstat returned 0.
  let mode = unsafe { stat.assume_init() }.st_mode & libc::S_IFMT;
  match mode {
    libc::S_IFREG | libc::S_IFCHR => "FILE",
    libc::S_IFIFO => "PIPE",
    libc::S_IFSOCK => socket_type(fd),
    _ => "UNKNOWN",
  }
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
  match (kind, ip) {
    (Type::STREAM, true) => "TCP",
    (Type::DGRAM, true) => "UDP",
    (_, false) if domain == Domain::UNIX => "PIPE",
    _ => "UNKNOWN",
  }
}

/// Takes over `fd`, a stream socket (rsnet reads and writes sockets only: a FIFO is refused
/// with ENOTSOCK and left open), and makes it non-blocking, as libuv's open does.
pub fn adopt(fd: i32) -> io::Result<Socket> {
  if fd < 0 {
    return Err(io::Error::from_raw_os_error(libc::EBADF));
  }
  {
    // SAFETY: borrowed for the check only; a closed fd makes getsockopt fail with EBADF.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    if SockRef::from(&borrowed).r#type()? != Type::STREAM {
      return Err(io::Error::from_raw_os_error(libc::ENOTSOCK));
    }
  }
  // SAFETY: the caller gives the descriptor away, as with libuv's uv_tcp_open.
  let socket = unsafe { Socket::from_raw_fd(fd) };
  socket.set_nonblocking(true)?;
  Ok(socket)
}

#[cfg(test)]
mod tests {
  use super::*;
  use std::os::fd::{AsRawFd, IntoRawFd};

  #[test]
  fn names_descriptors_as_libuv_does() {
    let tcp = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let udp = Socket::new(Domain::IPV6, Type::DGRAM, None).unwrap();
    let unix = Socket::new(Domain::UNIX, Type::STREAM, None).unwrap();
    let file = std::fs::File::open("Cargo.toml").unwrap();
    let mut fds = [0; 2];
    // SAFETY: pipe fills both descriptors.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    assert_eq!(handle_type(tcp.as_raw_fd()), "TCP");
    assert_eq!(handle_type(udp.as_raw_fd()), "UDP");
    assert_eq!(handle_type(unix.as_raw_fd()), "PIPE");
    assert_eq!(handle_type(file.as_raw_fd()), "FILE");
    assert_eq!(handle_type(fds[0]), "PIPE");
    assert_eq!(handle_type(-1), "UNKNOWN");
    // A pipe is not a socket: refused and left open.
    assert_eq!(
      adopt(fds[0]).unwrap_err().raw_os_error(),
      Some(libc::ENOTSOCK)
    );
    assert_eq!(handle_type(fds[0]), "PIPE");
    let raw = tcp.into_raw_fd();
    let adopted = adopt(raw).unwrap();
    assert!(adopted.nonblocking().unwrap());
    // SAFETY: closing the test's own pipe.
    unsafe {
      libc::close(fds[0]);
      libc::close(fds[1]);
    }
  }
}
