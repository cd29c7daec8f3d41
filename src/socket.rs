//! The Socket handle: one connected stream socket (TCP or Unix). JavaScript calls its
//! methods on the JS thread; one task on the I/O thread reads, finishes a queued write,
//! connects, and closes. Writes are tried at once on the JS thread and only what the
//! kernel did not take is queued, so bytes keep their order. As with Node's stream
//! handles, JavaScript has one write in flight at a time: the next waits for its callback.

use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use napi::bindgen_prelude::{BufferSlice, ToNapiValue};
use napi::{sys, Env, Result};
use napi_derive::napi;
use socket2::{Domain, SockAddr, Socket, Type};
use tokio::io::unix::{AsyncFd, AsyncFdReadyGuard};

use crate::addr::{self, AddressInfo};
use crate::errors::{errno_of, status};
use crate::events::{self, kind, Batch, EnvContext, IntoJs, Payload, ReadSource};
use crate::handle::{Handle, HandleCore, Liveness};
use crate::lock::lock;
use crate::options;
use crate::runtime::{self, register, Fd};
use crate::transport;

/// Largest read; Node reads 64 KiB at a time too.
const READ_SIZE: usize = 64 * 1024;
/// A read at least this long is handed over in its own buffer (shrunk in place), which
/// JavaScript gets as external memory: measured 13-15% more bulk throughput than copying
/// it. Shorter ones are copied into the batch's arena and from there into a V8 buffer, as
/// an external buffer's finalizer costs more than copying a few KiB.
const HAND_OVER_FROM: usize = 16 * 1024;
/// A chunk read into a lent buffer at least this long goes to JavaScript in that buffer;
/// a shorter one is copied, and the buffer read into again: a kept buffer is lent memory
/// the chunk may pin for long, so it should be mostly used.
const KEEP_LENT_FROM: usize = 32 * 1024;
/// Reads per readiness before yielding to other sockets, so one fast peer cannot starve the rest.
const READS_PER_TURN: usize = 16;
/// Bytes read but not yet handed to JavaScript, per socket, above which the I/O thread
/// stops reading: a busy JavaScript thread then holds back the peer through the kernel's
/// buffers instead of growing ours. 1 MiB rather than 256 KiB: with 256 KiB the two
/// threads took turns (read 4 chunks, sleep, wake) and bulk receive cost 1.5x the CPU.
const MAX_UNDELIVERED: usize = 1024 * 1024;
/// Reading resumes once JavaScript has taken all but this much: waking the I/O thread for
/// every chunk taken would cost a thread wake-up per 64 KiB.
const RESUME_UNDELIVERED: usize = MAX_UNDELIVERED / 4;

/// See SocketShared::waits.
#[derive(Default)]
struct Waits {
  connect: AtomicBool,
  write: AtomicBool,
  shutdown: AtomicBool,
  /// JavaScript got the end of reading (EOF, a read error, a failed connect): a socket that
  /// will read no more keeps nothing alive by reading.
  read_ended: AtomicBool,
}

/// The bytes of the write in flight that the kernel did not take yet.
struct QueuedWrite {
  data: Vec<u8>,
  sent: usize,
}

enum ShutdownState {
  None,
  /// Requested while a write was queued: done by the task once it is flushed.
  Pending,
  Done,
}

/// State shared by the JS thread and the I/O task, behind one lock.
struct Io {
  /// The socket; None before connect and once the task has closed it.
  socket: Option<Socket>,
  /// Set by close(): the task deregisters and then closes the socket.
  closing: bool,
  /// From connect until the task has reported its outcome.
  connecting: bool,
  write: Option<QueuedWrite>,
  shutdown: ShutdownState,
  /// The first failed queued write: every later write fails the same way.
  write_error: i32,
  /// The peer's address when JavaScript shut the write side (see remote_address).
  peer_at_shutdown: Option<Box<SockAddr>>,
}

pub struct SocketShared {
  core: HandleCore,
  io: Mutex<Io>,
  /// Whether JavaScript wants data (readStart) or not (readStop).
  reading: AtomicBool,
  /// What JavaScript is waiting for, which keeps the process alive. Touched on the JS thread
  /// only: set as JavaScript starts a request, cleared as the event that answers it reaches
  /// JavaScript. The I/O thread's own state would clear too early: the process could exit
  /// with the answer still queued.
  waits: Waits,
  /// Bytes pushed as DATA events that the JS thread has not taken yet.
  undelivered: AtomicUsize,
  /// Set when reading stopped at MAX_UNDELIVERED; the JS thread wakes the task when it
  /// takes the events.
  throttled: AtomicBool,
  /// A FIFO taken by descriptor, not a socket: read and written as a file (see transport).
  fifo: AtomicBool,
  /// False for the write end of a FIFO (libuv's uv_pipe_open looks at the access mode).
  can_read: AtomicBool,
  /// False for the read end of a FIFO.
  can_write: AtomicBool,
}

impl SocketShared {
  fn new(env: Arc<EnvContext>, socket: Option<Socket>, reading: bool) -> Arc<Self> {
    let shared = Arc::new(SocketShared {
      core: HandleCore::new(env),
      io: Mutex::new(Io {
        socket,
        closing: false,
        connecting: false,
        write: None,
        shutdown: ShutdownState::None,
        write_error: 0,
        peer_at_shutdown: None,
      }),
      reading: AtomicBool::new(reading),
      waits: Waits::default(),
      undelivered: AtomicUsize::new(0),
      throttled: AtomicBool::new(false),
      fifo: AtomicBool::new(false),
      can_read: AtomicBool::new(true),
      can_write: AtomicBool::new(true),
    });
    HandleCore::register(&shared);
    shared
  }

  fn id(&self) -> u32 {
    self.core.id
  }

  fn env(&self) -> &EnvContext {
    &self.core.env
  }

  /// Queues an event of this socket for JavaScript.
  fn push(&self, kind: u32, payload: Payload) {
    self.core.env.push(kind, self.core.id, payload);
  }

  /// A socket a server accepted, already connected; called on the I/O thread.
  pub fn accepted(env: Arc<EnvContext>, socket: Socket, reading: bool) -> Arc<Self> {
    let shared = Self::new(env, Some(socket), reading);
    tokio::spawn(drive(shared.clone(), false));
    shared
  }

  /// Tries the write now; queues what the kernel does not take. Returns 0 when all of it
  /// was written, 1 when some is queued (a WRITE_DONE event follows), or a negative errno.
  fn write(&self, bufs: &[&[u8]]) -> i32 {
    let mut io = lock(&self.io);
    if io.closing {
      return -libc::EBADF;
    }
    if io.write_error != 0 {
      return io.write_error;
    }
    if !self.can_write.load(Ordering::Relaxed) {
      return -libc::EPIPE;
    }
    if !matches!(io.shutdown, ShutdownState::None) {
      return -libc::EPIPE;
    }
    if let Some(queued) = io.write.as_mut() {
      // JavaScript waits for WRITE_DONE before its next write; should one come early anyway,
      // its bytes follow the queued ones and one WRITE_DONE answers both.
      for buf in bufs {
        queued.data.extend_from_slice(buf);
      }
      return 1;
    }
    let mut sent = 0;
    {
      let Some(socket) = io.socket.as_ref() else {
        return -libc::ENOTCONN;
      };
      // Sent without the lock, so that the I/O thread never waits for this syscall: with
      // the queue empty the I/O thread has nothing to send, only this (JS) thread adds to
      // the queue, and the descriptor stays open until this thread's close().
      let fd = socket.as_raw_fd();
      drop(io);
      // SAFETY: see above; the descriptor outlives this call.
      let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
      let fifo = self.fifo.load(Ordering::Relaxed);
      let result = if let [buf] = bufs {
        transport::write(borrowed, fifo, &[IoSlice::new(buf)])
      } else {
        let slices: Vec<IoSlice> = bufs
          .iter()
          .take(transport::MAX_IOV)
          .map(|b| IoSlice::new(b))
          .collect();
        transport::write(borrowed, fifo, &slices)
      };
      match result {
        Ok(n) => sent = n,
        Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
        Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
        Err(err) => return errno_of(&err),
      }
      let total: usize = bufs.iter().map(|b| b.len()).sum();
      if sent == total {
        return 0;
      }
      io = lock(&self.io);
    }
    io.write = Some(QueuedWrite {
      data: rest_of(bufs, sent),
      sent: 0,
    });
    drop(io);
    self.core.wake.notify();
    1
  }

  /// Shuts the write side now if nothing is queued (returns 0), else once the queued write
  /// is flushed (returns 1; a SHUTDOWN event follows), or fails with a negative errno.
  fn shutdown(&self) -> i32 {
    let mut io = lock(&self.io);
    if io.closing {
      return -libc::EBADF;
    }
    if !matches!(io.shutdown, ShutdownState::None) {
      return 0;
    }
    // Node shuts down on a later turn of its loop, and until then getpeername still
    // answers; here the peer's FIN can end the connection (and getpeername with it) at
    // once on loopback, so its answer is kept now.
    let peer = io.socket.as_ref().and_then(|s| s.peer_addr().ok());
    io.peer_at_shutdown = peer.filter(|p| p.is_ipv4() || p.is_ipv6()).map(Box::new);
    if io.write.is_none() {
      io.shutdown = ShutdownState::Done;
      return match io.socket.as_ref() {
        Some(socket) => status(self.shutdown_write(socket)),
        None => -libc::ENOTCONN,
      };
    }
    io.shutdown = ShutdownState::Pending;
    1
  }

  /// A FIFO has no write side to shut: as with libuv's pipe, end() only stops writing.
  fn shutdown_write(&self, socket: &Socket) -> io::Result<()> {
    if self.fifo.load(Ordering::Relaxed) {
      return Ok(());
    }
    socket.shutdown(std::net::Shutdown::Write)
  }

  fn with_socket<T>(&self, f: impl FnOnce(&Socket) -> io::Result<T>) -> io::Result<T> {
    let io = lock(&self.io);
    match io.socket.as_ref() {
      Some(socket) if !io.closing => f(socket),
      _ => Err(io::Error::from_raw_os_error(libc::EBADF)),
    }
  }
}

/// The bytes of `bufs` from offset `sent` on.
fn rest_of(bufs: &[&[u8]], mut sent: usize) -> Vec<u8> {
  let mut rest = Vec::new();
  for buf in bufs {
    if sent >= buf.len() {
      sent -= buf.len();
      continue;
    }
    rest.extend_from_slice(&buf[sent..]);
    sent = 0;
  }
  rest
}

impl Handle for SocketShared {
  fn core(&self) -> &HandleCore {
    &self.core
  }

  fn liveness(&self) -> Liveness {
    let io = lock(&self.io);
    if io.closing || io.socket.is_none() {
      return Liveness::default();
    }
    let waits = &self.waits;
    let connecting = waits.connect.load(Ordering::Relaxed);
    Liveness {
      active: !connecting
        && self.reading.load(Ordering::Relaxed)
        && !waits.read_ended.load(Ordering::Relaxed),
      pending: connecting
        || waits.write.load(Ordering::Relaxed)
        || waits.shutdown.load(Ordering::Relaxed),
    }
  }

  fn settle(&self, kind: u32, status: i32) {
    let waits = &self.waits;
    match kind {
      kind::CONNECT => {
        waits.connect.store(false, Ordering::Relaxed);
        if status != 0 {
          waits.read_ended.store(true, Ordering::Relaxed);
        }
      }
      kind::WRITE_DONE | kind::WRITE_ERROR => waits.write.store(false, Ordering::Relaxed),
      kind::SHUTDOWN => waits.shutdown.store(false, Ordering::Relaxed),
      kind::EOF | kind::READ_ERROR => waits.read_ended.store(true, Ordering::Relaxed),
      _ => {}
    }
  }

  fn close(&self) {
    {
      let mut io = lock(&self.io);
      if io.closing {
        return;
      }
      io.closing = true;
      io.write = None;
      if io.connecting {
        if let Some(socket) = io.socket.as_ref() {
          abandon_connect(socket);
        }
      }
    }
    self.core.env.unregister(self.core.id);
    self.core.wake.notify();
  }
}

impl ReadSource for SocketShared {
  /// Called on the JS thread as a DATA event of `len` bytes reaches JavaScript.
  fn delivered(&self, len: usize) {
    let before = self.undelivered.fetch_sub(len, Ordering::SeqCst);
    if before - len <= RESUME_UNDELIVERED && self.throttled.swap(false, Ordering::SeqCst) {
      self.core.wake.notify();
    }
  }
}

impl IntoJs for SocketShared {
  /// An accepted connection becomes its JavaScript handle as its ACCEPT event is delivered.
  fn into_js(self: Arc<Self>, env: &Env) -> Result<sys::napi_value> {
    let handle = SocketHandle::adopt(env, self);
    // SAFETY: on the JS thread, with the live environment the event is delivered in.
    unsafe { ToNapiValue::to_napi_value(env.raw(), handle) }
  }
}

/// libuv closes a connecting socket's descriptor at once; rsnet's task closes it a moment
/// later on the I/O thread. Meanwhile its address pair would still be taken, and the next
/// attempt of an autoSelectFamily connect from the same localPort to the same address
/// would fail with EADDRNOTAVAIL. A connect to AF_UNSPEC drops the pending connection now
/// (the kernel's tcp_disconnect) and keeps the descriptor, whose number the reactor still
/// holds, for the task to close. A connection already set up is left to the task's close,
/// which ends it with a FIN, as net's does.
fn abandon_connect(socket: &Socket) {
  if !crate::tcp_controls::syn_sent(socket) {
    return;
  }
  let unspec = libc::sockaddr {
    sa_family: libc::AF_UNSPEC as libc::sa_family_t,
    sa_data: [0; 14],
  };
  // SAFETY: the descriptor is open (the socket is still in io, under its lock), and the
  // address is a valid sockaddr of the length given. Failure leaves things as they were.
  unsafe {
    libc::connect(
      socket.as_raw_fd(),
      &unspec,
      std::mem::size_of::<libc::sockaddr>() as libc::socklen_t,
    );
  }
}

/// The I/O thread's side of one socket, from connect (or accept) to close.
async fn drive(shared: Arc<SocketShared>, connecting: bool) {
  let fd = match lock(&shared.io).socket.as_ref() {
    Some(socket) => socket.as_raw_fd(),
    None => return,
  };
  // SAFETY: only this task closes the descriptor (close_now, which drops the AsyncFd
  // first), once JavaScript's close() asked it to.
  let afd = match unsafe { register(fd) } {
    Ok(afd) => afd,
    Err(err) => {
      let event = if connecting {
        kind::CONNECT
      } else {
        kind::READ_ERROR
      };
      shared.push(event, Payload::Int(errno_of(&err)));
      wait_for_close(&shared).await;
      return close_now(&shared, None);
    }
  };
  let connected = !connecting || connect_finished(&shared, &afd).await;
  if connected {
    run(&shared, &afd).await;
  } else {
    wait_for_close(&shared).await;
  }
  close_now(&shared, Some(afd));
}

/// Only JavaScript's close() ends a socket's descriptor: the JS thread sends on it without
/// holding the lock (see SocketShared::write), so it must not be closed under it.
async fn wait_for_close(shared: &SocketShared) {
  while !lock(&shared.io).closing {
    shared.core.wake.wait().await;
  }
}

fn close_now(shared: &SocketShared, afd: Option<AsyncFd<Fd>>) {
  runtime::close(afd, lock(&shared.io).socket.take());
}

/// Waits for a non-blocking connect; reports its result. Returns whether it succeeded.
async fn connect_finished(shared: &SocketShared, afd: &AsyncFd<Fd>) -> bool {
  loop {
    let ready = poll_fn(|cx| {
      if shared.core.wake.poll(cx).is_ready() {
        return Poll::Ready(None);
      }
      afd.poll_write_ready(cx).map(Some)
    })
    .await;
    let Some(ready) = ready else {
      if lock(&shared.io).closing {
        return false;
      }
      continue;
    };
    let result = match ready {
      Ok(mut guard) => {
        guard.clear_ready();
        shared.with_socket(|s| s.take_error())
      }
      Err(err) => Err(err),
    };
    let errno = match result {
      Ok(None) => 0,
      Ok(Some(err)) | Err(err) => errno_of(&err),
    };
    lock(&shared.io).connecting = false;
    shared.push(kind::CONNECT, Payload::Int(errno));
    return errno == 0;
  }
}

/// What a socket's task woke up for.
enum Wakeup<'a> {
  /// JavaScript changed something (see SocketShared::wake).
  Told,
  Writable(io::Result<AsyncFdReadyGuard<'a, Fd>>),
  Readable(io::Result<AsyncFdReadyGuard<'a, Fd>>),
}

async fn run(shared: &Arc<SocketShared>, afd: &AsyncFd<Fd>) {
  let mut eof = false;
  let mut bulk = false;
  loop {
    let (want_write, closing) = {
      let io = lock(&shared.io);
      (
        io.write.is_some() || matches!(io.shutdown, ShutdownState::Pending),
        io.closing,
      )
    };
    if closing {
      return;
    }
    let want_read = !eof && shared.reading.load(Ordering::Relaxed) && !throttle(shared);
    // Polled by hand rather than with select! over readable()/writable()/notified():
    // tokio keeps the readiness wakers in the reactor, so the task's own state stays a few
    // words instead of three waiter nodes per idle connection.
    let wakeup = poll_fn(|cx| {
      if shared.core.wake.poll(cx).is_ready() {
        return Poll::Ready(Wakeup::Told);
      }
      if want_write {
        if let Poll::Ready(ready) = afd.poll_write_ready(cx) {
          return Poll::Ready(Wakeup::Writable(ready));
        }
      }
      if want_read {
        if let Poll::Ready(ready) = afd.poll_read_ready(cx) {
          return Poll::Ready(Wakeup::Readable(ready));
        }
      }
      Poll::Pending
    })
    .await;
    match wakeup {
      Wakeup::Told => {}
      Wakeup::Writable(Ok(guard)) => flush(shared, guard),
      Wakeup::Writable(Err(err)) => fail_writes(shared, errno_of(&err)),
      Wakeup::Readable(Ok(guard)) => eof = read(shared, guard, &mut bulk),
      Wakeup::Readable(Err(err)) => {
        shared.push(kind::READ_ERROR, Payload::Int(errno_of(&err)));
        eof = true;
      }
    }
  }
}

/// Reads what the kernel has, up to READS_PER_TURN chunks, and queues them for JavaScript
/// together: one wake-up of the JS thread per pass, not one per chunk, which halves the
/// CPU time of a bulk receive. Returns true at the end of the stream (EOF or an error),
/// after which the socket is not read again. `bulk` says whether the last read was long:
/// the next then goes into a buffer JavaScript lent (src/read_pool.rs).
fn read(shared: &Arc<SocketShared>, guard: AsyncFdReadyGuard<'_, Fd>, bulk: &mut bool) -> bool {
  READ_STATE.with_borrow_mut(|state| {
    let eof = read_chunks(shared, guard, state, bulk);
    shared.env().push_batch(&mut state.batch);
    eof
  })
}

fn read_chunks(
  shared: &Arc<SocketShared>,
  mut guard: AsyncFdReadyGuard<'_, Fd>,
  state: &mut ReadState,
  bulk: &mut bool,
) -> bool {
  let ReadState { scratch, batch } = state;
  for _ in 0..READS_PER_TURN {
    // readStop does not wake the task, so it may wake for a readiness it no longer wants:
    // leave it set for the next readStart. A recv now would also take a reset that libuv,
    // no longer polling, leaves for the next write to report.
    if !shared.reading.load(Ordering::Relaxed) || throttle(shared) {
      return false;
    }
    let mut lent = if *bulk {
      shared.env().read_pool.borrow()
    } else {
      None
    };
    // Without the lock: only this thread closes the descriptor, and holding the lock over
    // the syscall made the JS thread's writes wait for it (a futex sleep per round trip).
    let fd = guard.get_inner().as_fd();
    let fifo = shared.fifo.load(Ordering::Relaxed);
    let (offered, result) = match lent.as_mut() {
      Some(lent) => {
        let space = lent.space();
        (space.len(), transport::read(fd, fifo, space))
      }
      None => {
        scratch.clear();
        let space = scratch.spare_capacity_mut();
        (space.len(), transport::read(fd, fifo, space))
      }
    };
    match result {
      Ok(0) => {
        batch.push(kind::EOF, shared.id(), Payload::None);
        return true;
      }
      Ok(n) => {
        shared.undelivered.fetch_add(n, Ordering::SeqCst);
        *bulk = n >= HAND_OVER_FROM;
        match lent {
          Some(lent) if n >= KEEP_LENT_FROM => {
            let payload = Payload::Lent(lent.keep(), n, shared.clone());
            batch.push(kind::LENT_DATA, shared.id(), payload);
          }
          // Back to the pool as `lent` goes.
          Some(lent) => batch.push_bytes(shared.id(), lent.filled(n), shared.clone()),
          None => {
            // SAFETY: recv initialised the first n bytes of the spare capacity.
            unsafe { scratch.set_len(n) };
            if n >= HAND_OVER_FROM {
              let mut own = std::mem::replace(scratch, Vec::with_capacity(READ_SIZE));
              own.shrink_to_fit();
              batch.push(kind::DATA, shared.id(), Payload::Data(own, shared.clone()));
            } else {
              batch.push_bytes(shared.id(), scratch, shared.clone());
            }
          }
        }
        if n < offered {
          // A short read drained the socket: the next read would only say WouldBlock.
          guard.clear_ready();
          return false;
        }
      }
      Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
        guard.clear_ready();
        return false;
      }
      Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
      Err(err) => {
        batch.push(kind::READ_ERROR, shared.id(), Payload::Int(errno_of(&err)));
        return true;
      }
    }
  }
  false
}

/// The I/O thread's read buffer and event batch, reused across reads of every socket.
struct ReadState {
  scratch: Vec<u8>,
  batch: Batch,
}

thread_local! {
  static READ_STATE: std::cell::RefCell<ReadState> = std::cell::RefCell::new(ReadState {
    scratch: Vec::with_capacity(READ_SIZE),
    batch: Batch::default(),
  });
}

/// Whether reading must wait for JavaScript to take what was read; if so, marks the socket
/// so that the JS thread wakes it.
fn throttle(shared: &SocketShared) -> bool {
  if shared.undelivered.load(Ordering::SeqCst) < MAX_UNDELIVERED {
    return false;
  }
  shared.throttled.store(true, Ordering::SeqCst);
  // The JS thread may have taken the events between the load and the store. SeqCst on
  // both sides: each thread writes one flag and then reads the other's.
  if shared.undelivered.load(Ordering::SeqCst) < MAX_UNDELIVERED {
    shared.throttled.store(false, Ordering::SeqCst);
    return false;
  }
  true
}

/// Sends the queued write until it is done or the kernel is full; then a pending shutdown.
fn flush(shared: &SocketShared, mut guard: AsyncFdReadyGuard<'_, Fd>) {
  let mut done = false;
  let mut error = 0;
  let mut shutdown_result = None;
  {
    let mut io = lock(&shared.io);
    let io = &mut *io;
    while let Some(queued) = io.write.as_mut() {
      let Some(socket) = io.socket.as_ref() else {
        return;
      };
      let slice = [IoSlice::new(&queued.data[queued.sent..])];
      match transport::write(socket.as_fd(), shared.fifo.load(Ordering::Relaxed), &slice) {
        Ok(n) => {
          queued.sent += n;
          if queued.sent == queued.data.len() {
            io.write = None;
            done = true;
          }
        }
        Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
          guard.clear_ready();
          break;
        }
        Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
        Err(err) => {
          error = errno_of(&err);
          io.write_error = error;
          io.write = None;
          break;
        }
      }
    }
    if io.write.is_none() && matches!(io.shutdown, ShutdownState::Pending) {
      io.shutdown = ShutdownState::Done;
      shutdown_result = Some(match io.socket.as_ref() {
        Some(socket) if error == 0 => status(shared.shutdown_write(socket)),
        _ => error,
      });
    }
  }
  if done {
    shared.push(kind::WRITE_DONE, Payload::None);
  }
  if error != 0 {
    shared.push(kind::WRITE_ERROR, Payload::Int(error));
  }
  if let Some(result) = shutdown_result {
    shared.push(kind::SHUTDOWN, Payload::Int(result));
  }
}

fn fail_writes(shared: &SocketShared, errno: i32) {
  {
    let mut io = lock(&shared.io);
    io.write_error = errno;
    io.write = None;
  }
  shared.push(kind::WRITE_ERROR, Payload::Int(errno));
}

/// The JavaScript object behind `socket._handle`.
#[napi]
pub struct SocketHandle {
  shared: Arc<SocketShared>,
  /// A socket bound beforehand (open_bound) that the next connect uses.
  bound: Mutex<Option<Socket>>,
}

impl SocketHandle {
  /// Wraps a socket accepted on the I/O thread; runs on the JS thread as its event is delivered.
  pub fn adopt(env: &Env, shared: Arc<SocketShared>) -> Self {
    let handle = SocketHandle {
      shared,
      bound: Mutex::new(None),
    };
    handle.refresh(env);
    handle
  }

  /// After a verb that may change whether the socket keeps the loop alive.
  fn refresh(&self, env: &Env) {
    self.shared.core.refresh(env, &*self.shared);
  }

  /// JavaScript now waits for the answer to a request (`wait`), if it was started.
  fn started(&self, env: &Env, started: bool, wait: &AtomicBool) {
    if started {
      wait.store(true, Ordering::Relaxed);
      self.refresh(env);
    }
  }

  /// A write's result: 1 means queued, a request in flight until WRITE_DONE or WRITE_ERROR.
  fn write_queued(&self, env: &Env, result: i32) -> i32 {
    self.started(env, result == 1, &self.shared.waits.write);
    result
  }

  /// connect() again on a handle that has a socket: the kernel decides, as it does for
  /// libuv (Linux accepts one repeat of a non-blocking connect that has completed and then
  /// says EISCONN). Returns whether there was a socket.
  fn reconnect(&self, addr: &SockAddr) -> io::Result<bool> {
    let io = lock(&self.shared.io);
    let Some(socket) = io.socket.as_ref() else {
      return Ok(false);
    };
    if io.closing {
      return Err(io::Error::from_raw_os_error(libc::EBADF));
    }
    if io.connecting {
      return Err(io::Error::from_raw_os_error(libc::EALREADY));
    }
    socket.connect(addr)?;
    drop(io);
    self.shared.push(kind::CONNECT, Payload::Int(0));
    Ok(true)
  }

  fn open_fd(&self, fd: i32, duplicate: bool) -> io::Result<()> {
    {
      let io = lock(&self.shared.io);
      if io.closing || io.socket.is_some() {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
      }
    }
    let runtime = runtime::handle()?;
    let (socket, fifo) = crate::fd::adopt(fd, duplicate, true)?;
    if fifo {
      let (read, write) = crate::fd::access(fd);
      self.shared.can_read.store(read, Ordering::Relaxed);
      self.shared.can_write.store(write, Ordering::Relaxed);
    }
    self.shared.fifo.store(fifo, Ordering::Relaxed);
    lock(&self.shared.io).socket = Some(socket);
    self.shared.reading.store(false, Ordering::Relaxed);
    let _guard = runtime.spawn(drive(self.shared.clone(), false));
    Ok(())
  }

  fn bind_to(&self, host: &str, port: u32) -> io::Result<()> {
    let local = addr::ip(host, port)?;
    {
      let io = lock(&self.shared.io);
      if io.closing || io.socket.is_some() {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
      }
    }
    let mut bound = lock(&self.bound);
    let socket = match bound.take() {
      Some(socket) => socket,
      None => {
        let domain = Domain::from(i32::from(local.family()));
        Socket::new(domain, Type::STREAM.nonblocking().cloexec(), None).map_err(|err| {
          if err.raw_os_error() == Some(libc::EAFNOSUPPORT) {
            io::Error::from_raw_os_error(libc::EINVAL)
          } else {
            err
          }
        })?
      }
    };
    let result = socket
      .set_reuse_address(true)
      .and_then(|()| socket.bind(&local));
    let keep = match &result {
      Ok(()) => true,
      Err(err) => err.raw_os_error() == Some(libc::EADDRINUSE),
    };
    if keep {
      *bound = Some(socket);
    }
    result.map_err(|err| {
      if err.raw_os_error() == Some(libc::EAFNOSUPPORT) {
        io::Error::from_raw_os_error(libc::EINVAL)
      } else {
        err
      }
    })
  }

  fn connect_to(&self, addr: SockAddr, start_reading: bool) -> io::Result<()> {
    if self.reconnect(&addr)? {
      return Ok(());
    }
    let runtime = runtime::handle()?;
    let bound = lock(&self.bound).take();
    let socket = match bound {
      Some(socket) => socket,
      None => {
        let domain = Domain::from(i32::from(addr.family()));
        Socket::new(domain, Type::STREAM.nonblocking().cloexec(), None)?
      }
    };
    match socket.connect(&addr) {
      Ok(()) => {}
      Err(err) if err.raw_os_error() == Some(libc::EINPROGRESS) => {}
      Err(err) => {
        // As libuv's handle, this one keeps its socket: the error names its local end.
        *lock(&self.bound) = Some(socket);
        return Err(err);
      }
    }
    {
      let mut io = lock(&self.shared.io);
      if io.closing || io.socket.is_some() {
        return Err(io::Error::from_raw_os_error(libc::EISCONN));
      }
      io.socket = Some(socket);
      io.connecting = true;
    }
    self.shared.reading.store(start_reading, Ordering::Relaxed);
    let _guard = runtime.spawn(drive(self.shared.clone(), true));
    Ok(())
  }
}

#[napi]
impl SocketHandle {
  /// A fresh handle keeps nothing alive until it connects or takes a descriptor, as a fresh
  /// libuv handle: a connect() that throws must not hold the process.
  #[napi(constructor)]
  pub fn new(env: Env) -> Result<Self> {
    let context = events::context(&env)?;
    Ok(SocketHandle {
      shared: SocketShared::new(context, None, true),
      bound: Mutex::new(None),
    })
  }

  #[napi(getter)]
  pub fn id(&self) -> u32 {
    self.shared.id()
  }

  /// The descriptor, or -1 when there is none.
  #[napi(getter)]
  pub fn fd(&self) -> i32 {
    let io = lock(&self.shared.io);
    io.socket.as_ref().map_or(-1, |s| s.as_raw_fd())
  }

  /// Starts connecting to an IP address, from the socket bind_local bound if it did; once
  /// connected, reads at once if `start_reading`. Returns 0 (a CONNECT event follows) or
  /// a negative errno.
  #[napi]
  pub fn connect_tcp(&self, env: Env, host: String, port: u32, start_reading: bool) -> i32 {
    let result = addr::ip(&host, port).and_then(|remote| self.connect_to(remote, start_reading));
    self.started(&env, result.is_ok(), &self.shared.waits.connect);
    status(result)
  }

  /// Binds the socket the next connect uses to a local IP address and port, as libuv's
  /// uv_tcp_bind before a connect: the socket is made here, in the address's family, with
  /// SO_REUSEADDR. Returns 0 or a negative errno; as in libuv, a socket whose bind failed
  /// with EADDRINUSE is kept (unbound), and an address family the OS lacks is EINVAL.
  #[napi]
  pub fn bind_local(&self, host: String, port: u32) -> i32 {
    status(self.bind_to(&host, port))
  }

  /// Takes over `fd`, a connected stream socket or a pipe, or a duplicate of it when its
  /// owner keeps it (a connection a cluster primary hands over in a Node handle); reading
  /// starts with read_start. Returns 0 or a negative errno (nothing is taken then).
  #[napi]
  pub fn open(&self, fd: i32, duplicate: Option<bool>) -> i32 {
    status(self.open_fd(fd, duplicate.unwrap_or(false)))
  }

  /// Starts connecting to a Unix socket path. Returns 0 or a negative errno.
  #[napi]
  pub fn connect_unix(&self, env: Env, path: String, start_reading: bool) -> i32 {
    let result = addr::unix(&path).and_then(|remote| self.connect_to(remote, start_reading));
    self.started(&env, result.is_ok(), &self.shared.waits.connect);
    status(result)
  }

  /// 0, or -ENOTCONN for the write end of a FIFO, which libuv will not read either.
  #[napi]
  pub fn read_start(&self, env: Env) -> i32 {
    if !self.shared.can_read.load(Ordering::Relaxed) {
      return -libc::ENOTCONN;
    }
    if !self.shared.reading.swap(true, Ordering::Relaxed) {
      self.shared.core.wake.notify();
      self.refresh(&env);
    }
    0
  }

  #[napi]
  pub fn read_stop(&self, env: Env) {
    if self.shared.reading.swap(false, Ordering::Relaxed) {
      self.refresh(&env);
    }
  }

  /// See SocketShared::write: 0 written, 1 queued, or a negative errno.
  #[napi]
  pub fn write_buffer(&self, env: Env, data: BufferSlice) -> i32 {
    self.write_queued(&env, self.shared.write(&[&data]))
  }

  /// Writes the string as UTF-8 (the JS layer converts other encodings first).
  #[napi]
  pub fn write_utf8_string(&self, env: Env, data: String) -> i32 {
    self.write_queued(&env, self.shared.write(&[data.as_bytes()]))
  }

  /// Writes several buffers as one request, in one vectored syscall when they fit.
  #[napi]
  pub fn writev(&self, env: Env, chunks: Vec<BufferSlice>) -> i32 {
    let slices: Vec<&[u8]> = chunks.iter().map(|c| &c[..]).collect();
    self.write_queued(&env, self.shared.write(&slices))
  }

  /// 0 done, 1 deferred until the queued write finishes (a SHUTDOWN event follows), or a
  /// negative errno.
  #[napi]
  pub fn shutdown(&self, env: Env) -> i32 {
    let result = self.shared.shutdown();
    self.started(&env, result == 1, &self.shared.waits.shutdown);
    result
  }

  #[napi]
  pub fn close(&self, env: Env) {
    // A bound socket never connected goes with the handle.
    drop(lock(&self.bound).take());
    self.shared.close();
    self.refresh(&env);
  }

  /// Closes with an RST instead of a FIN, as resetAndDestroy() asks.
  #[napi]
  pub fn reset(&self, env: Env) -> i32 {
    let result = self
      .shared
      .with_socket(|s| s.set_linger(Some(Duration::ZERO)));
    self.close(env);
    status(result)
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
  pub fn set_no_delay(&self, enable: bool) -> i32 {
    status(
      self
        .shared
        .with_socket(|s| options::set_no_delay(s, enable)),
    )
  }

  /// `delay_secs` 0 keeps the system's idle time; the probe interval and count (Node 24)
  /// are libuv's 1 s and 10 unless given.
  #[napi]
  pub fn set_keep_alive(
    &self,
    enable: bool,
    delay_secs: u32,
    interval_secs: Option<u32>,
    count: Option<u32>,
  ) -> i32 {
    let probes = options::Probes {
      interval_secs,
      count,
    };
    status(
      self
        .shared
        .with_socket(|s| options::set_keep_alive(s, enable, delay_secs, probes)),
    )
  }

  /// Node 24's setTypeOfService(): 0 or a negative errno.
  #[napi]
  pub fn set_type_of_service(&self, tos: u32) -> i32 {
    status(
      self
        .shared
        .with_socket(|s| options::set_type_of_service(s, tos)),
    )
  }

  /// Node 24's getTypeOfService(): the byte, or a negative errno.
  #[napi]
  pub fn get_type_of_service(&self) -> i32 {
    match self.shared.with_socket(options::type_of_service) {
      Ok(tos) => i32::try_from(tos).unwrap_or(i32::MAX),
      Err(err) => errno_of(&err),
    }
  }

  /// Takes a duplicate of `fd`, a socket bound but not connected (Node 24's BoundSocket),
  /// for the next connect to use instead of a fresh socket. Returns 0 or a negative errno.
  #[napi]
  pub fn open_bound(&self, fd: i32) -> i32 {
    status(crate::fd::adopt(fd, true, false).map(|(socket, _)| {
      *lock(&self.bound) = Some(socket);
    }))
  }

  #[napi]
  pub fn local_address(&self) -> Option<AddressInfo> {
    let addr = match self.shared.with_socket(|s| s.local_addr()) {
      Ok(addr) => addr,
      // Not connected yet: a bound socket waiting for its connect has its address.
      Err(_) => {
        let bound = lock(&self.bound);
        bound.as_ref()?.local_addr().ok()?
      }
    };
    addr::info(&addr)
  }

  /// The peer's address; `shutting` (JavaScript's shutdown request is not done yet) falls
  /// back to the address read as it began, as Node would still read it then.
  #[napi]
  pub fn remote_address(&self, shutting: Option<bool>) -> Option<AddressInfo> {
    let addr = match self.shared.with_socket(|s| s.peer_addr()) {
      Ok(addr) => addr,
      Err(_) if shutting == Some(true) => {
        (**lock(&self.shared.io).peer_at_shutdown.as_ref()?).clone()
      }
      Err(_) => return None,
    };
    addr::info(&addr)
  }
}
