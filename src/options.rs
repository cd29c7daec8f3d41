//! Socket options as net's setNoDelay() and setKeepAlive() ask for them.

use std::io;
use std::time::Duration;

use socket2::{Socket, TcpKeepalive};

/// Turns Nagle's algorithm off (`true`) or on. A Unix socket has no Nagle: like Node,
/// succeed there without doing anything.
pub fn set_no_delay(socket: &Socket, enable: bool) -> io::Result<()> {
  match socket.set_tcp_nodelay(enable) {
    Err(err) if is_not_tcp(&err) => Ok(()),
    other => other,
  }
}

/// Sets the type-of-service byte of outgoing packets (IP_TOS, or IPV6_TCLASS on an IPv6
/// socket), as Node 24's setTypeOfService(). Fails on a Unix socket, which has none.
pub fn set_type_of_service(socket: &Socket, tos: u32) -> io::Result<()> {
  if is_ipv6(socket)? {
    socket.set_tclass_v6(tos)
  } else {
    socket.set_tos_v4(tos)
  }
}

/// The type-of-service byte set_type_of_service() sets.
pub fn type_of_service(socket: &Socket) -> io::Result<u32> {
  if is_ipv6(socket)? {
    socket.tclass_v6()
  } else {
    socket.tos_v4()
  }
}

fn is_ipv6(socket: &Socket) -> io::Result<bool> {
  Ok(socket.local_addr()?.is_ipv6())
}

/// Turns keep-alive on, with the idle time before the first probe (`delay_secs` 0 keeps
/// the system's), or off. A no-op on Unix sockets, as in Node.
pub fn set_keep_alive(socket: &Socket, enable: bool, delay_secs: u32) -> io::Result<()> {
  let result = if enable {
    let mut params = TcpKeepalive::new();
    if delay_secs > 0 {
      // Given an idle time, libuv (and so Node) also probes every second, ten times.
      params = params
        .with_time(Duration::from_secs(u64::from(delay_secs)))
        .with_interval(Duration::from_secs(1))
        .with_retries(10);
    }
    socket.set_tcp_keepalive(&params)
  } else {
    socket.set_keepalive(false)
  };
  match result {
    Err(err) if is_not_tcp(&err) => Ok(()),
    other => other,
  }
}

fn is_not_tcp(err: &io::Error) -> bool {
  matches!(
    err.raw_os_error(),
    Some(libc::EOPNOTSUPP) | Some(libc::ENOPROTOOPT)
  )
}

#[cfg(test)]
mod tests {
  use super::*;
  use socket2::{Domain, Type};
  use std::net::{Ipv4Addr, SocketAddr, TcpListener};

  fn connected_pair() -> (TcpListener, Socket) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    socket.connect(&addr.into()).unwrap();
    (listener, socket)
  }

  #[test]
  fn no_delay_is_set_and_cleared() {
    let (_listener, socket) = connected_pair();
    set_no_delay(&socket, true).unwrap();
    assert!(socket.tcp_nodelay().unwrap());
    set_no_delay(&socket, false).unwrap();
    assert!(!socket.tcp_nodelay().unwrap());
  }

  #[test]
  fn keep_alive_sets_the_idle_time() {
    let (_listener, socket) = connected_pair();
    set_keep_alive(&socket, true, 7).unwrap();
    assert!(socket.keepalive().unwrap());
    assert_eq!(socket.tcp_keepalive_time().unwrap(), Duration::from_secs(7));
    assert_eq!(
      socket.tcp_keepalive_interval().unwrap(),
      Duration::from_secs(1)
    );
    assert_eq!(socket.tcp_keepalive_retries().unwrap(), 10);
    set_keep_alive(&socket, false, 0).unwrap();
    assert!(!socket.keepalive().unwrap());
  }

  #[test]
  fn type_of_service_is_set_and_read_back() {
    let (_listener, socket) = connected_pair();
    set_type_of_service(&socket, 0x10).unwrap();
    assert_eq!(type_of_service(&socket).unwrap(), 0x10);
  }

  #[test]
  fn unix_sockets_accept_tcp_options_as_no_ops() {
    let (a, _b) = Socket::pair(Domain::UNIX, Type::STREAM, None).unwrap();
    set_no_delay(&a, true).unwrap();
    set_keep_alive(&a, true, 5).unwrap();
  }
}
