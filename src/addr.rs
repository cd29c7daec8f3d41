//! Socket addresses between JavaScript's strings and the OS's sockaddrs.

use std::io;
use std::net::{IpAddr, SocketAddr};

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

/// A Unix socket path; a leading NUL byte names a Linux abstract socket.
pub fn unix(path: &str) -> io::Result<SockAddr> {
  SockAddr::unix(path)
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
