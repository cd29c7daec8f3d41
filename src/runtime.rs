//! The one I/O thread: a current-thread tokio runtime shared by every JavaScript
//! environment in the process. One thread (not a pool) because each hop between
//! threads costs a wake-up, and one reactor sees every socket's events, so they
//! reach JavaScript in batches.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::OnceLock;
use tokio::io::unix::AsyncFd;
use tokio::runtime::{Builder, Handle};

static HANDLE: OnceLock<Result<Handle, i32>> = OnceLock::new();

/// The runtime's handle, starting the I/O thread on first use. If it cannot start, every
/// call fails with the OS error that stopped it (as a raw errno), the same for every handle.
pub fn handle() -> io::Result<&'static Handle> {
  HANDLE
    .get_or_init(start)
    .as_ref()
    .map_err(|&errno| io::Error::from_raw_os_error(errno))
}

fn start() -> Result<Handle, i32> {
  // Without an OS code (tokio found no reason), EAGAIN: libuv's answer to a thread that
  // could not be created.
  let errno = |err: io::Error| err.raw_os_error().unwrap_or(libc::EAGAIN);
  let runtime = Builder::new_current_thread()
    .enable_io()
    .enable_time()
    .build()
    .map_err(errno)?;
  let handle = runtime.handle().clone();
  std::thread::Builder::new()
    .name("rsnet-io".into())
    .spawn(move || runtime.block_on(std::future::pending::<()>()))
    .map_err(errno)?;
  Ok(handle)
}

/// Registers a descriptor with the I/O thread's reactor; call it on the I/O thread.
///
/// # Safety
/// The caller must keep `fd` open, and the same socket, until the returned AsyncFd is
/// dropped (`Fd::as_fd` borrows it meanwhile): the socket and server tasks drop it, in
/// `close`, before they close the descriptor.
pub unsafe fn register(fd: RawFd) -> io::Result<AsyncFd<Fd>> {
  // SAFETY: the caller keeps the descriptor open for the AsyncFd's lifetime, as above.
  unsafe { AsyncFd::register(Fd(fd)) }.map_err(|err| err.into_parts().1)
}

/// Closes a handle's socket once its task is done: deregisters first, so the reactor never
/// sees a reused descriptor number.
pub fn close(afd: Option<AsyncFd<Fd>>, socket: Option<socket2::Socket>) {
  drop(afd);
  crate::fd::release(socket);
}

/// A bare descriptor for the reactor; its owner (a socket2 Socket) lives elsewhere.
pub struct Fd(RawFd);

impl AsRawFd for Fd {
  fn as_raw_fd(&self) -> RawFd {
    self.0
  }
}

impl AsFd for Fd {
  fn as_fd(&self) -> BorrowedFd<'_> {
    // SAFETY: the descriptor stays open while the AsyncFd holding this exists (see register).
    unsafe { BorrowedFd::borrow_raw(self.0) }
  }
}
