//! Socket addresses between JavaScript's strings and the OS's sockaddrs.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicBool, Ordering};

use napi_derive::napi;
use socket2::SockAddr;

/// An address as `address()` reports it. For a Unix socket `family` is "unix",
/// `address` the path and `port` 0.
#[napi(object)]
pub struct AddressInfo {
  pub address: String,
  pub family: String,
  pub port: u32,
}

/// Parses an IP literal and a port; JavaScript validated both already, so a failure here
/// is reported as EINVAL rather than thrown.
pub fn ip(host: &str, port: u32) -> io::Result<SockAddr> {
  let port = u16::try_from(port).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
  // A scope id ("fe80::1%eth0") is not supported yet; the plain address still parses.
  let host = host.split('%').next().unwrap_or(host);
  let ip: IpAddr = host
    .parse()
    .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
  Ok(SockAddr::from(SocketAddr::new(ip, port)))
}

/// Length of `sun_path` on Linux.
const SUN_PATH_LEN: usize = 108;

/// Whether abstract names are exactly their bytes (libuv 1.48 on) rather than the whole
/// NUL-padded `sun_path` (libuv 1.46, Node 20). JavaScript sets it once at load for the
/// running Node's libuv.
static EXACT_ABSTRACT_NAMES: AtomicBool = AtomicBool::new(false);

/// Names abstract sockets as the running Node's libuv does (see EXACT_ABSTRACT_NAMES).
pub fn set_exact_abstract_names(exact: bool) {
  EXACT_ABSTRACT_NAMES.store(exact, Ordering::Relaxed);
}

/// A Unix socket path; a leading NUL byte names a Linux abstract socket. rsnet names an
/// abstract socket as the running Node's libuv does, or the two could not reach each
/// other's sockets.
pub fn unix(path: &str) -> io::Result<SockAddr> {
  unix_named(path, EXACT_ABSTRACT_NAMES.load(Ordering::Relaxed))
}

fn unix_named(path: &str, exact: bool) -> io::Result<SockAddr> {
  if !path.starts_with('\0') {
    return SockAddr::unix(path);
  }
  let mut name = path.as_bytes().to_vec();
  if name.len() > SUN_PATH_LEN {
    return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
  }
  if !exact {
    name.resize(SUN_PATH_LEN, 0);
  }
  SockAddr::unix(std::ffi::OsStr::from_bytes(&name))
}

/// What JavaScript sees of a sockaddr.
pub fn info(addr: &SockAddr) -> Option<AddressInfo> {
  if let Some(addr) = addr.as_socket() {
    let family = if addr.is_ipv4() { "IPv4" } else { "IPv6" };
    return Some(AddressInfo {
      address: addr.ip().to_string(),
      family: family.to_string(),
      port: u32::from(addr.port()),
    });
  }
  let path = if let Some(path) = addr.as_pathname() {
    path.to_string_lossy().into_owned()
  } else if let Some(name) = addr.as_abstract_namespace() {
    let name = name.split(|&b| b == 0).next().unwrap_or_default();
    format!("\0{}", String::from_utf8_lossy(name))
  } else {
    String::new()
  };
  Some(AddressInfo {
    address: path,
    family: "unix".to_string(),
    port: 0,
  })
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn abstract_names_fill_sun_path_as_libuv_1_46_does() {
    let addr = unix_named("\0rsnet", false).unwrap();
    assert_eq!(addr.len() as usize, 2 + SUN_PATH_LEN);
    let info = info(&addr).unwrap();
    assert_eq!(info.address, "\0rsnet");
    assert_eq!(info.family, "unix");
  }

  #[test]
  fn abstract_names_are_exact_as_libuv_1_48_makes_them() {
    let addr = unix_named("\0rsnet", true).unwrap();
    assert_eq!(addr.len() as usize, 2 + "\0rsnet".len());
    assert_eq!(info(&addr).unwrap().address, "\0rsnet");
  }

  #[test]
  fn ip_literals_parse_and_report_their_family() {
    let v6 = info(&ip("::1", 8080).unwrap()).unwrap();
    assert_eq!(
      (v6.address.as_str(), v6.family.as_str(), v6.port),
      ("::1", "IPv6", 8080)
    );
    assert!(ip("not-an-ip", 1).is_err());
    assert!(ip("127.0.0.1", 70000).is_err());
  }
}
