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

/// How keep-alive probes, once idle time is given: every `interval_secs` (1 unless given),
/// `count` times (10 unless given), as libuv does. Node 24 lets JavaScript give both.
#[derive(Clone, Copy, Default)]
pub struct Probes {
  pub interval_secs: Option<u32>,
  pub count: Option<u32>,
}

/// Turns keep-alive on, with the idle time before the first probe (`delay_secs` 0 keeps
/// the system's, and then the probes too), or off. A no-op on Unix sockets, as in Node.
/// A zero interval or count turns keep-alive on with the system's timing and fails with
/// EINVAL, as libuv's uv_tcp_keepalive_ex does.
pub fn set_keep_alive(
  socket: &Socket,
  enable: bool,
  delay_secs: u32,
  probes: Probes,
) -> io::Result<()> {
  let result = if enable {
    let mut params = TcpKeepalive::new();
    let interval = probes.interval_secs.unwrap_or(1);
    let count = probes.count.unwrap_or(10);
    if delay_secs > 0 && (interval == 0 || count == 0) {
      socket.set_keepalive(true)?;
      return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    if delay_secs > 0 {
      params = params
        .with_time(Duration::from_secs(u64::from(delay_secs)))
        .with_interval(Duration::from_secs(u64::from(interval)))
        .with_retries(count);
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
    set_keep_alive(&socket, true, 7, Probes::default()).unwrap();
    assert!(socket.keepalive().unwrap());
    assert_eq!(socket.tcp_keepalive_time().unwrap(), Duration::from_secs(7));
    assert_eq!(
      socket.tcp_keepalive_interval().unwrap(),
      Duration::from_secs(1)
    );
    assert_eq!(socket.tcp_keepalive_retries().unwrap(), 10);
    set_keep_alive(&socket, false, 0, Probes::default()).unwrap();
    assert!(!socket.keepalive().unwrap());
  }

  #[test]
  fn keep_alive_probes_can_be_given() {
    let (_listener, socket) = connected_pair();
    let probes = Probes {
      interval_secs: Some(3),
      count: Some(4),
    };
    set_keep_alive(&socket, true, 5, probes).unwrap();
    assert_eq!(
      socket.tcp_keepalive_interval().unwrap(),
      Duration::from_secs(3)
    );
    assert_eq!(socket.tcp_keepalive_retries().unwrap(), 4);
    let zero = Probes {
      interval_secs: Some(0),
      count: None,
    };
    assert!(set_keep_alive(&socket, true, 5, zero).is_err());
    assert!(socket.keepalive().unwrap());
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
    set_keep_alive(&a, true, 5, Probes::default()).unwrap();
  }
}
