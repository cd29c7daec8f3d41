//! OS errors as the JavaScript layer wants them: a negative errno, the way libuv
//! reports them, so lib/errors.js can name them with Node's own table.

use std::io;

/// libuv's code for "the peer closed": Node calls it EOF.
pub const UV_EOF: i32 = -4095;

/// A negative errno for any I/O error. Errors that carry no OS code (address parsing,
/// tokio's own) are named by their kind where one fits, and EIO otherwise.
pub fn errno_of(err: &io::Error) -> i32 {
  match err.raw_os_error() {
    Some(code) => -code,
    None => match err.kind() {
      io::ErrorKind::UnexpectedEof => UV_EOF,
      io::ErrorKind::InvalidInput => -libc::EINVAL,
      io::ErrorKind::AddrNotAvailable => -libc::EADDRNOTAVAIL,
      io::ErrorKind::Unsupported => -libc::EAFNOSUPPORT,
      _ => -libc::EIO,
    },
  }
}

/// The errno of a failed call, or 0 for success: the convention of every handle method.
pub fn status<T>(result: io::Result<T>) -> i32 {
  match result {
    Ok(_) => 0,
    Err(err) => errno_of(&err),
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn os_errors_become_negative_errnos() {
    let refused = io::Error::from_raw_os_error(libc::ECONNREFUSED);
    assert_eq!(errno_of(&refused), -libc::ECONNREFUSED);
    assert_eq!(status(Err::<(), _>(refused)), -libc::ECONNREFUSED);
    assert_eq!(status(Ok(())), 0);
  }

  #[test]
  fn errors_without_os_code_still_map() {
    let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
    assert_eq!(errno_of(&eof), UV_EOF);
    let other = io::Error::other("boom");
    assert_eq!(errno_of(&other), -libc::EIO);
  }
}
