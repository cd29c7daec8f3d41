//! TCP controls that Node's net does not offer (TCP_INFO, TCP_USER_TIMEOUT, keep-alive
//! interval and count, congestion control, ...), on any connected TCP descriptor: rsnet's
//! own sockets and Node's alike, so JavaScript passes the descriptor number. lib/
//! tcp-controls.js validates everything first; these functions only report errnos.

use std::io;
use std::mem::{offset_of, size_of, MaybeUninit};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use napi::bindgen_prelude::Either;
use napi_derive::napi;
use socket2::{Domain, Protocol, SockRef, Socket, Type};

use crate::errors::errno_of;

/// Linux's `struct tcp_info` (include/uapi/linux/tcp.h) as far as rsnet reads it. The
/// kernel copies min(its size, ours) bytes and says how many: a field past that length
/// is one an older kernel does not have. libc's copy stops at tcpi_total_retrans.
#[repr(C)]
#[derive(Clone, Copy)]
struct RawTcpInfo {
  state: u8,
  ca_state: u8,
  retransmits: u8,
  probes: u8,
  backoff: u8,
  options: u8,
  wscale: u8,
  flags: u8,
  rto: u32,
  ato: u32,
  snd_mss: u32,
  rcv_mss: u32,
  unacked: u32,
  sacked: u32,
  lost: u32,
  retrans: u32,
  fackets: u32,
  last_data_sent: u32,
  last_ack_sent: u32,
  last_data_recv: u32,
  last_ack_recv: u32,
  pmtu: u32,
  rcv_ssthresh: u32,
  rtt: u32,
  rttvar: u32,
  snd_ssthresh: u32,
  snd_cwnd: u32,
  advmss: u32,
  reordering: u32,
  rcv_rtt: u32,
  rcv_space: u32,
  total_retrans: u32,
  pacing_rate: u64,
  max_pacing_rate: u64,
  bytes_acked: u64,
  bytes_received: u64,
  segs_out: u32,
  segs_in: u32,
  notsent_bytes: u32,
  min_rtt: u32,
  data_segs_in: u32,
  data_segs_out: u32,
  delivery_rate: u64,
  busy_time: u64,
  rwnd_limited: u64,
  sndbuf_limited: u64,
  delivered: u32,
  delivered_ce: u32,
  bytes_sent: u64,
  bytes_retrans: u64,
}

/// Names of the TCP states, indexed by `tcpi_state` (include/net/tcp_states.h).
const STATES: [&str; 13] = [
  "UNKNOWN",
  "ESTABLISHED",
  "SYN_SENT",
  "SYN_RECV",
  "FIN_WAIT1",
  "FIN_WAIT2",
  "TIME_WAIT",
  "CLOSE",
  "CLOSE_WAIT",
  "LAST_ACK",
  "LISTEN",
  "CLOSING",
  "NEW_SYN_RECV",
];

/// `rsnet.tcpInfo()`'s object. Times are in microseconds, as the kernel reports them;
/// cwnd and ssthresh in segments. A field the kernel did not fill is left out.
#[napi(object)]
pub struct TcpInfo {
  pub state: String,
  pub rtt: u32,
  pub rtt_var: u32,
  pub rto: u32,
  pub cwnd: u32,
  pub ssthresh: u32,
  pub pmtu: u32,
  pub snd_mss: u32,
  pub rcv_mss: u32,
  pub unacked: u32,
  pub retransmits: u32,
  pub total_retransmits: u32,
  pub lost: u32,
  pub bytes_acked: Option<f64>,
  pub bytes_received: Option<f64>,
  pub bytes_sent: Option<f64>,
  pub bytes_retrans: Option<f64>,
  pub not_sent_bytes: Option<u32>,
  pub min_rtt: Option<u32>,
  pub delivery_rate: Option<f64>,
  pub busy_time: Option<f64>,
  pub rwnd_limited: Option<f64>,
  pub sndbuf_limited: Option<f64>,
}

/// The options of `setTcpOptions()`/`getTcpOptions()`, in JavaScript's units
/// (milliseconds, bytes). In a set, a missing field is left alone.
#[napi(object)]
pub struct TcpOptions {
  pub user_timeout: Option<u32>,
  pub keep_alive: Option<bool>,
  pub keep_alive_idle: Option<u32>,
  pub keep_alive_interval: Option<u32>,
  pub keep_alive_count: Option<u32>,
  pub no_delay: Option<bool>,
  pub quick_ack: Option<bool>,
  pub congestion: Option<String>,
  pub not_sent_lowat: Option<u32>,
  /// Milliseconds; -1 turns lingering off (a get reports off as a missing field).
  pub linger: Option<i32>,
}

/// Runs `f` on `fd` if it is a TCP socket and, with `connected`, still has a peer; else
/// fails with EBADF, ENOTSOCK, EOPNOTSUPP (a socket that is not TCP) or ENOTCONN.
fn with_tcp<T>(
  fd: i32,
  connected: bool,
  f: impl FnOnce(&Socket) -> io::Result<T>,
) -> io::Result<T> {
  if fd < 0 {
    return Err(io::Error::from_raw_os_error(libc::EBADF));
  }
  // SAFETY: JavaScript passes the descriptor of a socket it has not destroyed, and the
  // borrow ends with this synchronous call on its thread, before the socket can close.
  let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
  let socket = SockRef::from(&borrowed);
  let domain = socket.domain()?;
  let tcp = socket.r#type()? == Type::STREAM
    && (domain == Domain::IPV4 || domain == Domain::IPV6)
    && socket.protocol()?.is_none_or(|p| p == Protocol::TCP);
  if !tcp {
    return Err(io::Error::from_raw_os_error(libc::EOPNOTSUPP));
  }
  if connected {
    socket.peer_addr()?;
  }
  f(&socket)
}

/// A negative errno, or the value: what the JavaScript side turns into an error or a result.
fn either<T>(result: io::Result<T>) -> Either<T, i32> {
  match result {
    Ok(value) => Either::A(value),
    Err(err) => Either::B(errno_of(&err)),
  }
}

fn read_tcp_info(socket: &Socket) -> io::Result<(RawTcpInfo, usize)> {
  let mut raw = MaybeUninit::<RawTcpInfo>::zeroed();
  let mut len = size_of::<RawTcpInfo>() as libc::socklen_t;
  // SAFETY: the kernel writes at most `len` bytes into `raw` and says how many.
  let rc = unsafe {
    libc::getsockopt(
      socket.as_raw_fd(),
      libc::IPPROTO_TCP,
      libc::TCP_INFO,
      raw.as_mut_ptr().cast(),
      &mut len,
    )
  };
  if rc != 0 {
    return Err(io::Error::last_os_error());
  }
  // SAFETY: zeroed is a valid RawTcpInfo (plain integers), whatever the kernel filled.
  Ok((unsafe { raw.assume_init() }, len as usize))
}

/// Whether setTcpOptions ever turned lingering on in this process. Until it has, no socket of
/// rsnet's closes with a wait (reset() lingers 0 s), and closing need not ask each one.
static LINGER_SET: AtomicBool = AtomicBool::new(false);

pub fn linger_ever_set() -> bool {
  LINGER_SET.load(Ordering::Relaxed)
}

/// Whether a TCP socket has sent its SYN and is waiting for the answer.
pub fn syn_sent(socket: &Socket) -> bool {
  const TCP_SYN_SENT: u8 = 2;
  read_tcp_info(socket).is_ok_and(|(raw, _)| raw.state == TCP_SYN_SENT)
}

fn info_of(raw: &RawTcpInfo, len: usize) -> TcpInfo {
  // Whether the kernel's copy reached the end of `field`.
  macro_rules! has {
    ($field:ident) => {
      len >= offset_of!(RawTcpInfo, $field) + std::mem::size_of_val(&raw.$field)
    };
  }
  macro_rules! opt {
    ($field:ident) => {
      has!($field).then_some(raw.$field)
    };
    ($field:ident as f64) => {
      has!($field).then_some(raw.$field as f64)
    };
  }
  TcpInfo {
    state: STATES
      .get(usize::from(raw.state))
      .unwrap_or(&"UNKNOWN")
      .to_string(),
    rtt: raw.rtt,
    rtt_var: raw.rttvar,
    rto: raw.rto,
    cwnd: raw.snd_cwnd,
    ssthresh: raw.snd_ssthresh,
    pmtu: raw.pmtu,
    snd_mss: raw.snd_mss,
    rcv_mss: raw.rcv_mss,
    unacked: raw.unacked,
    retransmits: u32::from(raw.retransmits),
    total_retransmits: raw.total_retrans,
    lost: raw.lost,
    bytes_acked: opt!(bytes_acked as f64),
    bytes_received: opt!(bytes_received as f64),
    bytes_sent: opt!(bytes_sent as f64),
    bytes_retrans: opt!(bytes_retrans as f64),
    not_sent_bytes: opt!(notsent_bytes),
    min_rtt: opt!(min_rtt),
    delivery_rate: opt!(delivery_rate as f64),
    busy_time: opt!(busy_time as f64),
    rwnd_limited: opt!(rwnd_limited as f64),
    sndbuf_limited: opt!(sndbuf_limited as f64),
  }
}

/// TCP_INFO of a TCP socket, or a negative errno. A connection that has ended still
/// answers, with its final figures (JavaScript refuses sockets that never connected).
#[napi]
pub fn tcp_info(fd: i32) -> Either<TcpInfo, i32> {
  either(with_tcp(fd, false, |socket| {
    let (raw, len) = read_tcp_info(socket)?;
    Ok(info_of(&raw, len))
  }))
}

fn set_int(socket: &Socket, name: libc::c_int, value: u32) -> io::Result<()> {
  let value =
    libc::c_int::try_from(value).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
  // SAFETY: passes a c_int and its size.
  let rc = unsafe {
    libc::setsockopt(
      socket.as_raw_fd(),
      libc::IPPROTO_TCP,
      name,
      (&value as *const libc::c_int).cast(),
      size_of::<libc::c_int>() as libc::socklen_t,
    )
  };
  if rc != 0 {
    return Err(io::Error::last_os_error());
  }
  Ok(())
}

fn seconds(millis: u32) -> u32 {
  millis / 1000
}

fn millis(duration: Duration) -> u32 {
  u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
}

fn set_options(socket: &Socket, options: &TcpOptions) -> io::Result<()> {
  // First, as the one the kernel may still refuse (EPERM for an algorithm outside
  // tcp_allowed_congestion_control): then a refusal leaves everything else as it was.
  if let Some(name) = &options.congestion {
    socket.set_tcp_congestion(name.as_bytes())?;
  }
  if let Some(ms) = options.user_timeout {
    socket.set_tcp_user_timeout(Some(Duration::from_millis(u64::from(ms))))?;
  }
  // The keep-alive timings one by one (socket2's TcpKeepalive would also turn it on).
  if let Some(ms) = options.keep_alive_idle {
    set_int(socket, libc::TCP_KEEPIDLE, seconds(ms))?;
  }
  if let Some(ms) = options.keep_alive_interval {
    set_int(socket, libc::TCP_KEEPINTVL, seconds(ms))?;
  }
  if let Some(count) = options.keep_alive_count {
    set_int(socket, libc::TCP_KEEPCNT, count)?;
  }
  if let Some(on) = options.keep_alive {
    socket.set_keepalive(on)?;
  }
  if let Some(on) = options.no_delay {
    socket.set_tcp_nodelay(on)?;
  }
  if let Some(on) = options.quick_ack {
    socket.set_tcp_quickack(on)?;
  }
  if let Some(bytes) = options.not_sent_lowat {
    socket.set_tcp_notsent_lowat(bytes)?;
  }
  if let Some(ms) = options.linger {
    if ms > 0 {
      LINGER_SET.store(true, Ordering::Relaxed);
    }
    let linger = u64::try_from(ms).ok().map(Duration::from_millis);
    socket.set_linger(linger)?;
  }
  Ok(())
}

/// Sets the given options on a connected TCP socket: 0 or a negative errno.
#[napi]
pub fn set_tcp_options(fd: i32, options: TcpOptions) -> i32 {
  match with_tcp(fd, true, |socket| set_options(socket, &options)) {
    Ok(()) => 0,
    Err(err) => errno_of(&err),
  }
}

fn get_options(socket: &Socket) -> io::Result<TcpOptions> {
  let name = socket.tcp_congestion()?;
  let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
  Ok(TcpOptions {
    user_timeout: Some(socket.tcp_user_timeout()?.map_or(0, millis)),
    keep_alive: Some(socket.keepalive()?),
    keep_alive_idle: Some(millis(socket.tcp_keepalive_time()?)),
    keep_alive_interval: Some(millis(socket.tcp_keepalive_interval()?)),
    keep_alive_count: Some(socket.tcp_keepalive_retries()?),
    no_delay: Some(socket.tcp_nodelay()?),
    quick_ack: Some(socket.tcp_quickack()?),
    congestion: Some(String::from_utf8_lossy(&name[..end]).into_owned()),
    not_sent_lowat: Some(socket.tcp_notsent_lowat()?),
    linger: socket
      .linger()?
      .map(|d| i32::try_from(d.as_millis()).unwrap_or(i32::MAX)),
  })
}

/// Every option of a connected TCP socket as the kernel has it, or a negative errno.
#[napi]
pub fn get_tcp_options(fd: i32) -> Either<TcpOptions, i32> {
  either(with_tcp(fd, true, get_options))
}

/// Whether this kernel would let this process use congestion control `name`: 0, -ENOENT
/// (no such algorithm) or -EPERM (not in tcp_allowed_congestion_control). Tried on a new
/// socket, so that setTcpOptions can refuse a bad name before it changes anything.
#[napi]
pub fn check_congestion(name: String) -> i32 {
  let result = Socket::new(Domain::IPV4, Type::STREAM, None)
    .or_else(|_| Socket::new(Domain::IPV6, Type::STREAM, None))
    .and_then(|probe| probe.set_tcp_congestion(name.as_bytes()));
  match result {
    Ok(()) => 0,
    Err(err) => errno_of(&err),
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use std::io::{Read, Write};
  use std::net::{Ipv4Addr, TcpListener, TcpStream};
  use std::os::fd::AsRawFd;

  fn connected_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
  }

  fn no_options() -> TcpOptions {
    TcpOptions {
      user_timeout: None,
      keep_alive: None,
      keep_alive_idle: None,
      keep_alive_interval: None,
      keep_alive_count: None,
      no_delay: None,
      quick_ack: None,
      congestion: None,
      not_sent_lowat: None,
      linger: None,
    }
  }

  fn options(fd: i32) -> TcpOptions {
    match get_tcp_options(fd) {
      Either::A(options) => options,
      Either::B(errno) => panic!("getTcpOptions failed: {errno}"),
    }
  }

  #[test]
  fn info_counts_a_transfer() {
    let (mut client, mut server) = connected_pair();
    client.write_all(&[7; 10_000]).unwrap();
    let mut received = vec![0; 10_000];
    server.read_exact(&mut received).unwrap();
    let Either::A(info) = tcp_info(client.as_raw_fd()) else {
      panic!("tcpInfo failed");
    };
    assert_eq!(info.state, "ESTABLISHED");
    assert!(info.rtt > 0);
    assert!(info.bytes_acked.unwrap() >= 10_000.0);
    let Either::A(info) = tcp_info(server.as_raw_fd()) else {
      panic!("tcpInfo failed");
    };
    assert!(info.bytes_received.unwrap() >= 10_000.0);
  }

  #[test]
  fn options_read_back_in_milliseconds() {
    let (client, _server) = connected_pair();
    let fd = client.as_raw_fd();
    let set = TcpOptions {
      user_timeout: Some(1500),
      keep_alive: Some(true),
      keep_alive_idle: Some(5000),
      keep_alive_interval: Some(2000),
      keep_alive_count: Some(4),
      no_delay: Some(true),
      congestion: Some("reno".into()),
      not_sent_lowat: Some(16384),
      linger: Some(3000),
      ..no_options()
    };
    assert_eq!(set_tcp_options(fd, set), 0);
    let got = options(fd);
    assert_eq!(got.user_timeout, Some(1500));
    assert_eq!(got.keep_alive, Some(true));
    assert_eq!(got.keep_alive_idle, Some(5000));
    assert_eq!(got.keep_alive_interval, Some(2000));
    assert_eq!(got.keep_alive_count, Some(4));
    assert_eq!(got.no_delay, Some(true));
    assert_eq!(got.congestion.as_deref(), Some("reno"));
    assert_eq!(got.not_sent_lowat, Some(16384));
    assert_eq!(got.linger, Some(3000));
    let off = TcpOptions {
      linger: Some(-1),
      ..no_options()
    };
    assert_eq!(set_tcp_options(fd, off), 0);
    assert_eq!(options(fd).linger, None);
  }

  #[test]
  fn only_connected_tcp_sockets() {
    let (unix, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
    assert!(matches!(tcp_info(unix.as_raw_fd()), Either::B(e) if e == -libc::EOPNOTSUPP));
    let unconnected = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let fd = unconnected.as_raw_fd();
    // tcpInfo answers without a peer, for the final figures of a connection that ended.
    assert!(matches!(tcp_info(fd), Either::A(info) if info.state == "CLOSE"));
    assert!(matches!(get_tcp_options(fd), Either::B(e) if e == -libc::ENOTCONN));
    assert_eq!(set_tcp_options(fd, no_options()), -libc::ENOTCONN);
    assert!(matches!(tcp_info(-1), Either::B(e) if e == -libc::EBADF));
  }

  #[test]
  fn congestion_names_are_tried_apart() {
    assert_eq!(check_congestion("reno".into()), 0);
    assert_eq!(check_congestion("no-such-cc".into()), -libc::ENOENT);
  }
}
