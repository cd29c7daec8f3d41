//! How bytes cross a socket's descriptor: recv and send on a socket, read and write on a
//! FIFO (which `new Socket({ fd })` may be given, as Node wraps one in a pipe handle).

use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd};

use socket2::SockRef;

/// Linux's IOV_MAX.
pub const MAX_IOV: usize = 1024;

/// Reads what the kernel has into `buf`.
pub fn read(fd: BorrowedFd<'_>, fifo: bool, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
  if !fifo {
    return SockRef::from(&fd).recv(buf);
  }
  // SAFETY: read writes at most buf.len() bytes into memory the slice owns.
  let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
  if n < 0 {
    return Err(io::Error::last_os_error());
  }
  Ok(n as usize)
}

/// Writes `bufs` in one call (the first MAX_IOV of them). A socket is sent to without
/// SIGPIPE; for a FIFO, Node ignores SIGPIPE for the whole process, so a closed reader
/// shows as EPIPE there too.
pub fn write(fd: BorrowedFd<'_>, fifo: bool, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
  let bufs = &bufs[..bufs.len().min(MAX_IOV)];
  if !fifo {
    let socket = SockRef::from(&fd);
    return match bufs {
      [buf] => socket.send_with_flags(buf, libc::MSG_NOSIGNAL),
      _ => socket.send_vectored_with_flags(bufs, libc::MSG_NOSIGNAL),
    };
  }
  // SAFETY: IoSlice has iovec's layout on Unix; writev only reads the slices.
  let n = unsafe { libc::writev(fd.as_raw_fd(), bufs.as_ptr().cast(), bufs.len() as i32) };
  if n < 0 {
    return Err(io::Error::last_os_error());
  }
  Ok(n as usize)
}

#[cfg(test)]
mod tests {
  use super::*;
  use std::os::fd::{AsFd, OwnedFd};

  #[test]
  fn moves_bytes_through_a_fifo_and_a_socket_pair() {
    let mut fds = [0; 2];
    // SAFETY: pipe fills both descriptors.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: the two descriptors pipe just made, owned by nothing else.
    let (reader, writer) = unsafe {
      use std::os::fd::FromRawFd;
      (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1]))
    };
    let parts = [IoSlice::new(b"ab"), IoSlice::new(b"cd")];
    assert_eq!(write(writer.as_fd(), true, &parts).unwrap(), 4);
    let mut buf = [MaybeUninit::<u8>::uninit(); 8];
    assert_eq!(read(reader.as_fd(), true, &mut buf).unwrap(), 4);
    // A FIFO is no socket: the socket calls fail on it.
    assert!(read(reader.as_fd(), false, &mut buf).is_err());

    let (a, b) = socket2::Socket::pair(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap();
    assert_eq!(write(a.as_fd(), false, &[IoSlice::new(b"xyz")]).unwrap(), 3);
    assert_eq!(read(b.as_fd(), false, &mut buf).unwrap(), 3);
  }
}
