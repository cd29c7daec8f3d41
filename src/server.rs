//! The Server handle: a listening socket (TCP or Unix). Bind and listen run on the JS
//! thread, so errors and the bound address are known at once; accepting runs on the I/O
//! thread, which starts each new connection's task before JavaScript hears of it.

use std::future::poll_fn;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use napi::{Env, Result};
use napi_derive::napi;
use socket2::{Domain, SockAddr, Socket, Type};
use tokio::io::unix::AsyncFd;

use crate::addr::{self, AddressInfo};
use crate::errors::{errno_of, status};
use crate::events::{self, kind, Payload};
use crate::handle::{Handle, HandleCore, Liveness};
use crate::lock::lock;
use crate::runtime::{self, register, Fd};
use crate::socket::SocketShared;

/// How long to stop accepting after an error such as EMFILE, instead of spinning on it.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

struct Listener {
  socket: Option<Socket>,
  closing: bool,
  listening: bool,
  /// Taken over by descriptor (listen({ fd })) rather than bound here.
  adopted: bool,
}

pub struct ServerShared {
  core: HandleCore,
  state: Mutex<Listener>,
  /// Accepted sockets start paused (pauseOnConnect) instead of reading.
  pause_on_connect: AtomicBool,
}

impl ServerShared {
  fn push(&self, kind: u32, payload: Payload) {
    self.core.env.push(kind, self.core.id, payload);
  }
}

impl Handle for ServerShared {
  fn core(&self) -> &HandleCore {
    &self.core
  }

  /// A listening server keeps the loop alive unless unref'd; it has no requests.
  fn liveness(&self) -> Liveness {
    let state = lock(&self.state);
    Liveness {
      active: state.listening && !state.closing,
      pending: false,
    }
  }

  fn close(&self) {
    {
      let mut state = lock(&self.state);
      if state.closing {
        return;
      }
      state.closing = true;
      if !state.listening {
        // Never listened: no task owns the socket, so close it here.
        crate::fd::release(state.socket.take());
      } else if let (Some(socket), false) = (state.socket.as_ref(), state.adopted) {
        // Stop listening now, as Node's synchronous close does: new connections are
        // refused and the port is free at once. The task closes the descriptor after
        // taking it out of the reactor. Not for a socket taken over from elsewhere: other
        // processes may share it, and a shutdown would stop it for them too.
        let _ = socket.shutdown(std::net::Shutdown::Both);
      }
    }
    self.core.env.unregister(self.core.id);
    self.core.wake.notify();
  }
}

async fn accept_loop(shared: Arc<ServerShared>, fd: RawFd) {
  // SAFETY: a listening server's descriptor is closed by this task alone (close_now, which
  // drops the AsyncFd first); close() only shuts it down.
  let afd = match unsafe { register(fd) } {
    Ok(afd) => afd,
    Err(err) => {
      shared.push(kind::ACCEPT_ERROR, Payload::Int(errno_of(&err)));
      return close_now(&shared, None);
    }
  };
  loop {
    if lock(&shared.state).closing {
      break;
    }
    // The same by-hand wait as a socket's task: told by JavaScript (close), or readable.
    let ready = poll_fn(|cx| {
      if shared.core.wake.poll(cx).is_ready() {
        return Poll::Ready(None);
      }
      afd.poll_read_ready(cx).map(Some)
    })
    .await;
    let backoff = match ready {
      None => false,
      Some(Ok(mut guard)) => {
        let backoff = accept_ready(&shared, fd);
        if !backoff {
          guard.clear_ready();
        }
        backoff
      }
      Some(Err(err)) => {
        shared.push(kind::ACCEPT_ERROR, Payload::Int(errno_of(&err)));
        true
      }
    };
    if backoff {
      tokio::time::sleep(ACCEPT_BACKOFF).await;
    }
  }
  close_now(&shared, Some(afd));
}

fn close_now(shared: &ServerShared, afd: Option<AsyncFd<Fd>>) {
  runtime::close(afd, lock(&shared.state).socket.take());
}

/// Accepts every pending connection. Returns true after an error worth backing off for.
fn accept_ready(shared: &Arc<ServerShared>, fd: RawFd) -> bool {
  let reading = !shared.pause_on_connect.load(Ordering::Relaxed);
  loop {
    // SAFETY: `fd` is the listening socket, open until this task closes it after the loop.
    let conn = unsafe {
      libc::accept4(
        fd,
        std::ptr::null_mut(),
        std::ptr::null_mut(),
        libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
      )
    };
    if conn < 0 {
      let err = io::Error::last_os_error();
      match err.raw_os_error() {
        Some(libc::EAGAIN) => return false,
        Some(libc::EINTR) | Some(libc::ECONNABORTED) => continue,
        _ => {
          shared.push(kind::ACCEPT_ERROR, Payload::Int(errno_of(&err)));
          return true;
        }
      }
    }
    // SAFETY: accept4 returned a new descriptor that nothing else owns.
    let socket = unsafe { Socket::from_raw_fd(conn) };
    let conn = SocketShared::accepted(shared.core.env.clone(), socket, reading);
    shared.push(kind::ACCEPT, Payload::Object(conn));
  }
}

/// The JavaScript object behind `server._handle`.
#[napi]
pub struct ServerHandle {
  shared: Arc<ServerShared>,
}

impl ServerHandle {
  /// The server is listening only once its accept task runs, so a failure leaves it as it was.
  fn start_listening(&self, backlog: i32, pause_on_connect: bool) -> io::Result<()> {
    let runtime = runtime::handle()?;
    let mut state = lock(&self.shared.state);
    let Some(socket) = state.socket.as_ref() else {
      return Err(io::Error::from_raw_os_error(libc::EINVAL));
    };
    if state.closing || state.listening {
      return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    socket.listen(backlog)?;
    let fd = socket.as_raw_fd();
    self
      .shared
      .pause_on_connect
      .store(pause_on_connect, Ordering::Relaxed);
    state.listening = true;
    drop(state);
    runtime.spawn(accept_loop(self.shared.clone(), fd));
    Ok(())
  }

  fn bind(&self, addr: &SockAddr, ipv6_only: bool, reuse_port: bool) -> io::Result<()> {
    let domain = Domain::from(i32::from(addr.family()));
    let socket = Socket::new(domain, Type::STREAM.nonblocking().cloexec(), None)?;
    if addr.is_ipv4() || addr.is_ipv6() {
      // As libuv does: a restarted server can bind while old connections sit in TIME_WAIT.
      socket.set_reuse_address(true)?;
      if reuse_port {
        socket.set_reuse_port(true)?;
      }
      if addr.is_ipv6() {
        socket.set_only_v6(ipv6_only)?;
      }
    }
    socket.bind(addr)?;
    let mut state = lock(&self.shared.state);
    if state.closing || state.socket.is_some() {
      return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    state.socket = Some(socket);
    Ok(())
  }

  fn refresh(&self, env: &Env) {
    self.shared.core.refresh(env, &*self.shared);
  }
}

#[napi]
impl ServerHandle {
  #[napi(constructor)]
  pub fn new(env: Env) -> Result<Self> {
    let context = events::context(&env)?;
    let shared = Arc::new(ServerShared {
      core: HandleCore::new(context),
      state: Mutex::new(Listener {
        socket: None,
        closing: false,
        listening: false,
        adopted: false,
      }),
      pause_on_connect: AtomicBool::new(false),
    });
    HandleCore::register(&shared);
    Ok(ServerHandle { shared })
  }

  #[napi(getter)]
  pub fn id(&self) -> u32 {
    self.shared.core.id
  }

  #[napi(getter)]
  pub fn fd(&self) -> i32 {
    lock(&self.shared.state)
      .socket
      .as_ref()
      .map_or(-1, |s| s.as_raw_fd())
  }

  /// Binds to an IP address. Returns 0 or a negative errno.
  #[napi]
  pub fn bind_tcp(&self, host: String, port: u32, ipv6_only: bool, reuse_port: bool) -> i32 {
    status(addr::ip(&host, port).and_then(|a| self.bind(&a, ipv6_only, reuse_port)))
  }

  /// Binds to a Unix socket path. Returns 0 or a negative errno.
  #[napi]
  pub fn bind_unix(&self, path: String) -> i32 {
    status(addr::unix(&path).and_then(|a| self.bind(&a, false, false)))
  }

  /// Takes over `fd`, a stream socket (bound, or listening already), or a duplicate of it
  /// when its owner keeps it; listen() follows. Returns 0 or a negative errno (nothing is
  /// taken then).
  #[napi]
  pub fn open(&self, fd: i32, duplicate: bool) -> i32 {
    let mut state = lock(&self.shared.state);
    if state.closing || state.socket.is_some() {
      return -libc::EINVAL;
    }
    match crate::fd::adopt(fd, duplicate, false) {
      Ok((socket, _)) => {
        state.socket = Some(socket);
        state.adopted = true;
        0
      }
      Err(err) => errno_of(&err),
    }
  }

  /// Whether connections this handle accepts start paused (listen(handle) hands a listening
  /// handle to a server whose pauseOnConnect may differ).
  #[napi]
  pub fn set_pause_on_connect(&self, on: bool) {
    self.shared.pause_on_connect.store(on, Ordering::Relaxed);
  }

  /// Whether listen() succeeded on this handle (listen(handle) may pass a listening one).
  #[napi(getter)]
  pub fn listening(&self) -> bool {
    lock(&self.shared.state).listening
  }

  /// Listens and starts accepting. Returns 0 or a negative errno.
  #[napi]
  pub fn listen(&self, env: Env, backlog: i32, pause_on_connect: bool) -> i32 {
    let result = self.start_listening(backlog, pause_on_connect);
    self.refresh(&env);
    status(result)
  }

  #[napi]
  pub fn close(&self, env: Env) {
    self.shared.close();
    self.refresh(&env);
  }

  #[napi(js_name = "ref")]
  pub fn reference(&self, env: Env) {
    self.shared.core.set_unref(&env, &*self.shared, false);
  }

  #[napi]
  pub fn unref(&self, env: Env) {
    self.shared.core.set_unref(&env, &*self.shared, true);
  }

  #[napi]
  pub fn address(&self) -> Option<AddressInfo> {
    let state = lock(&self.shared.state);
    let addr = state.socket.as_ref()?.local_addr().ok()?;
    addr::info(&addr)
  }
}
