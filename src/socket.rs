//! The Socket handle: one connected stream socket (TCP or Unix). JavaScript calls its
//! methods on the JS thread; one task on the I/O thread reads, finishes queued writes,
//! connects, and closes. Writes are tried at once on the JS thread and only what the
//! kernel did not take is queued, so bytes keep their order.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;
use std::time::Duration;

use napi::bindgen_prelude::BufferSlice;
use napi::{Env, Result};
use napi_derive::napi;
use socket2::{Domain, SockAddr, Socket, Type};
use tokio::io::unix::{AsyncFd, AsyncFdReadyGuard};

use crate::addr::{self, AddressInfo};
use crate::errors::{errno_of, status};
use crate::events::{self, kind, Batch, EnvContext, Payload, Teardown};
use crate::options;
use crate::runtime::{self, register, Fd};
use crate::transport;
use crate::wake::TaskWake;

/// Largest read; Node reads 64 KiB at a time too.
const READ_SIZE: usize = 64 * 1024;
/// A read at least this long is handed over in its own buffer (shrunk in place), which
/// JavaScript gets as external memory: measured 13-15% more bulk throughput than copying
/// it. Shorter ones are copied into the batch's arena and from there into a V8 buffer, as
/// an external buffer's finalizer costs more than copying a few KiB.
const HAND_OVER_FROM: usize = 16 * 1024;
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

/// Bytes that the kernel did not take yet, with whether they end a write request.
struct Chunk {
  data: Vec<u8>,
  sent: usize,
  ends_request: bool,
}

enum ShutdownState {
  None,
  /// Requested while writes were queued: done by the task once they are flushed.
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
  queue: VecDeque<Chunk>,
  shutdown: ShutdownState,
  /// The first failed queued write: every later write fails the same way.
  write_error: i32,
}

pub struct SocketShared {
  pub id: u32,
  env: Arc<EnvContext>,
  io: Mutex<Io>,
  /// Whether JavaScript wants data (readStart) or not (readStop).
  reading: AtomicBool,
  /// Wakes the task after JavaScript changed something it waits on.
  wake: TaskWake,
  /// Whether this handle keeps the event loop alive (see EnvContext::set_ref).
  counted: AtomicBool,
  /// Whether JavaScript called unref().
  unrefed: AtomicBool,
  /// Whether the socket is reading, which keeps the process alive unless unref'd.
  active: AtomicBool,
  /// Whether a connect, write or shutdown is in flight, which keeps the process alive even
  /// when unref'd, as a pending libuv request does. JavaScript tracks both and tells us.
  pending: AtomicBool,
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

fn lock(io: &Mutex<Io>) -> MutexGuard<'_, Io> {
  io.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SocketShared {
  fn new(env: Arc<EnvContext>, socket: Option<Socket>, reading: bool) -> Arc<Self> {
    let id = env.next_id();
    let shared = Arc::new(SocketShared {
      id,
      env: env.clone(),
      io: Mutex::new(Io {
        socket,
        closing: false,
        connecting: false,
        queue: VecDeque::new(),
        shutdown: ShutdownState::None,
        write_error: 0,
      }),
      reading: AtomicBool::new(reading),
      wake: TaskWake::default(),
      counted: AtomicBool::new(false),
      unrefed: AtomicBool::new(false),
      active: AtomicBool::new(true),
      pending: AtomicBool::new(false),
      undelivered: AtomicUsize::new(0),
      throttled: AtomicBool::new(false),
      fifo: AtomicBool::new(false),
      can_read: AtomicBool::new(true),
      can_write: AtomicBool::new(true),
    });
    let weak: std::sync::Weak<dyn Teardown> = Arc::downgrade(&shared) as _;
    env.register(id, weak);
    shared
  }

  /// A socket a server accepted, already connected; called on the I/O thread.
  pub fn accepted(env: Arc<EnvContext>, socket: Socket, reading: bool) -> Arc<Self> {
    let shared = Self::new(env, Some(socket), reading);
    tokio::spawn(drive(shared.clone(), false));
    shared
  }

  /// Called on the JS thread as a DATA event of `len` bytes reaches JavaScript.
  pub fn delivered(&self, len: usize) {
    let before = self.undelivered.fetch_sub(len, Ordering::SeqCst);
    if before - len <= RESUME_UNDELIVERED && self.throttled.swap(false, Ordering::SeqCst) {
      self.wake.notify();
    }
  }

  fn close(&self) {
    {
      let mut io = lock(&self.io);
      if io.closing {
        return;
      }
      io.closing = true;
      io.queue.clear();
    }
    self.env.unregister(self.id);
    self.wake.notify();
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
    let mut sent = 0;
    let was_idle = io.queue.is_empty();
    if was_idle {
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
    queue_rest(&mut io.queue, bufs, sent);
    drop(io);
    if was_idle {
      self.wake.notify();
    }
    1
  }

  /// Shuts the write side now if nothing is queued (returns 0), else once the queue is
  /// flushed (returns 1; a SHUTDOWN event follows), or fails with a negative errno.
  fn shutdown(&self) -> i32 {
    let mut io = lock(&self.io);
    if io.closing {
      return -libc::EBADF;
    }
    if !matches!(io.shutdown, ShutdownState::None) {
      return 0;
    }
    if io.queue.is_empty() {
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

/// Queues the bytes of `bufs` from offset `sent` on, as one write request.
fn queue_rest(queue: &mut VecDeque<Chunk>, bufs: &[&[u8]], mut sent: usize) {
  let mut rest = Vec::new();
  for buf in bufs {
    if sent >= buf.len() {
      sent -= buf.len();
      continue;
    }
    rest.extend_from_slice(&buf[sent..]);
    sent = 0;
  }
  queue.push_back(Chunk {
    data: rest,
    sent: 0,
    ends_request: true,
  });
}

impl Teardown for SocketShared {
  fn teardown(&self) {
    self.close();
  }
}

/// The I/O thread's side of one socket, from connect (or accept) to close.
async fn drive(shared: Arc<SocketShared>, connecting: bool) {
  let fd = match lock(&shared.io).socket.as_ref() {
    Some(socket) => socket.as_raw_fd(),
    None => return,
  };
  let afd = match register(fd) {
    Ok(afd) => afd,
    Err(err) => {
      let event = if connecting {
        kind::CONNECT
      } else {
        kind::READ_ERROR
      };
      shared
        .env
        .push(event, shared.id, Payload::Int(errno_of(&err)));
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
    shared.wake.wait().await;
  }
}

/// Deregisters before closing, so the reactor never sees a reused descriptor number.
fn close_now(shared: &SocketShared, afd: Option<AsyncFd<Fd>>) {
  drop(afd);
  crate::fd::release(lock(&shared.io).socket.take());
}

/// Waits for a non-blocking connect; reports its result. Returns whether it succeeded.
async fn connect_finished(shared: &SocketShared, afd: &AsyncFd<Fd>) -> bool {
  loop {
    let ready = poll_fn(|cx| {
      if shared.wake.poll(cx).is_ready() {
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
    shared
      .env
      .push(kind::CONNECT, shared.id, Payload::Int(errno));
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
  loop {
    let (want_write, closing) = {
      let io = lock(&shared.io);
      (
        !io.queue.is_empty() || matches!(io.shutdown, ShutdownState::Pending),
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
      if shared.wake.poll(cx).is_ready() {
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
      Wakeup::Readable(Ok(guard)) => eof = read(shared, guard),
      Wakeup::Readable(Err(err)) => {
        shared
          .env
          .push(kind::READ_ERROR, shared.id, Payload::Int(errno_of(&err)));
        eof = true;
      }
    }
  }
}

/// Reads what the kernel has, up to READS_PER_TURN chunks, and queues them for JavaScript
/// together: one wake-up of the JS thread per pass, not one per chunk, which halves the
/// CPU time of a bulk receive. Returns true at the end of the stream (EOF or an error),
/// after which the socket is not read again.
fn read(shared: &Arc<SocketShared>, guard: AsyncFdReadyGuard<'_, Fd>) -> bool {
  READ_STATE.with_borrow_mut(|state| {
    let eof = read_chunks(shared, guard, state);
    shared.env.push_batch(&mut state.batch);
    eof
  })
}

fn read_chunks(
  shared: &Arc<SocketShared>,
  mut guard: AsyncFdReadyGuard<'_, Fd>,
  state: &mut ReadState,
) -> bool {
  let ReadState { scratch, batch } = state;
  for _ in 0..READS_PER_TURN {
    // readStop does not wake the task, so it may wake for a readiness it no longer wants:
    // leave it set for the next readStart. A recv now would also take a reset that libuv,
    // no longer polling, leaves for the next write to report.
    if !shared.reading.load(Ordering::Relaxed) || throttle(shared) {
      return false;
    }
    scratch.clear();
    // Without the lock: only this thread closes the descriptor, and holding the lock over
    // the syscall made the JS thread's writes wait for it (a futex sleep per round trip).
    let fifo = shared.fifo.load(Ordering::Relaxed);
    match transport::read(
      guard.get_inner().as_fd(),
      fifo,
      scratch.spare_capacity_mut(),
    ) {
      Ok(0) => {
        batch.push(kind::EOF, shared.id, Payload::None);
        return true;
      }
      Ok(n) => {
        // SAFETY: recv initialised the first n bytes of the spare capacity.
        unsafe { scratch.set_len(n) };
        shared.undelivered.fetch_add(n, Ordering::SeqCst);
        if n >= HAND_OVER_FROM {
          let mut own = std::mem::replace(scratch, Vec::with_capacity(READ_SIZE));
          own.shrink_to_fit();
          batch.push(kind::DATA, shared.id, Payload::Data(own, shared.clone()));
        } else {
          batch.push_bytes(shared.id, scratch, shared.clone());
        }
        if n < READ_SIZE {
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
        batch.push(kind::READ_ERROR, shared.id, Payload::Int(errno_of(&err)));
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

/// Sends queued chunks until the queue is empty or the kernel is full, reporting finished
/// requests; then a pending shutdown.
fn flush(shared: &SocketShared, mut guard: AsyncFdReadyGuard<'_, Fd>) {
  let mut done = 0;
  let mut error = 0;
  let mut shutdown_result = None;
  {
    let mut io = lock(&shared.io);
    let io = &mut *io;
    while !io.queue.is_empty() {
      let Some(socket) = io.socket.as_ref() else {
        return;
      };
      let slices: Vec<IoSlice> = io
        .queue
        .iter()
        .take(64)
        .map(|c| IoSlice::new(&c.data[c.sent..]))
        .collect();
      match transport::write(socket.as_fd(), shared.fifo.load(Ordering::Relaxed), &slices) {
        Ok(mut n) => {
          while n > 0 {
            let Some(chunk) = io.queue.front_mut() else {
              break;
            };
            let left = chunk.data.len() - chunk.sent;
            if n < left {
              chunk.sent += n;
              break;
            }
            n -= left;
            if chunk.ends_request {
              done += 1;
            }
            io.queue.pop_front();
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
          io.queue.clear();
          break;
        }
      }
    }
    if io.queue.is_empty() && matches!(io.shutdown, ShutdownState::Pending) {
      io.shutdown = ShutdownState::Done;
      shutdown_result = Some(match io.socket.as_ref() {
        Some(socket) if error == 0 => status(shared.shutdown_write(socket)),
        _ => error,
      });
    }
  }
  if done > 0 {
    shared
      .env
      .push(kind::WRITE_DONE, shared.id, Payload::Int(done));
  }
  if error != 0 {
    shared
      .env
      .push(kind::WRITE_ERROR, shared.id, Payload::Int(error));
  }
  if let Some(result) = shutdown_result {
    shared
      .env
      .push(kind::SHUTDOWN, shared.id, Payload::Int(result));
  }
}

fn fail_writes(shared: &SocketShared, errno: i32) {
  {
    let mut io = lock(&shared.io);
    io.write_error = errno;
    io.queue.clear();
  }
  shared
    .env
    .push(kind::WRITE_ERROR, shared.id, Payload::Int(errno));
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
    shared.env.set_ref(env, &shared.counted, true);
    SocketHandle {
      shared,
      bound: Mutex::new(None),
    }
  }

  fn update_ref(&self, env: &Env) {
    let open = !lock(&self.shared.io).closing;
    let reading = self.shared.active.load(Ordering::Relaxed);
    let unrefed = self.shared.unrefed.load(Ordering::Relaxed);
    let on = open && (self.shared.pending.load(Ordering::Relaxed) || (reading && !unrefed));
    self.shared.env.set_ref(env, &self.shared.counted, on);
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
    self
      .shared
      .env
      .push(kind::CONNECT, self.shared.id, Payload::Int(0));
    Ok(true)
  }

  fn open_fd(&self, fd: i32, duplicate: bool) -> io::Result<()> {
    {
      let io = lock(&self.shared.io);
      if io.closing || io.socket.is_some() {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
      }
    }
    let runtime = runtime::handle().map_err(|e| io::Error::other(e.reason))?;
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

  fn connect_to(
    &self,
    addr: SockAddr,
    local: Option<SockAddr>,
    start_reading: bool,
  ) -> io::Result<()> {
    if self.reconnect(&addr)? {
      return Ok(());
    }
    let bound = self.bound.lock().unwrap_or_else(|e| e.into_inner()).take();
    let socket = match bound {
      Some(socket) => socket,
      None => {
        let domain = Domain::from(i32::from(addr.family()));
        Socket::new(domain, Type::STREAM.nonblocking().cloexec(), None)?
      }
    };
    if let Some(local) = local {
      if local.is_ipv4() || local.is_ipv6() {
        socket.set_reuse_address(true)?;
      }
      socket.bind(&local)?;
    }
    match socket.connect(&addr) {
      Ok(()) => {}
      Err(err) if err.raw_os_error() == Some(libc::EINPROGRESS) => {}
      Err(err) => return Err(err),
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
    let _guard = runtime::handle()
      .map_err(|e| io::Error::other(e.reason))?
      .spawn(drive(self.shared.clone(), true));
    Ok(())
  }
}

#[napi]
impl SocketHandle {
  #[napi(constructor)]
  pub fn new(env: Env) -> Result<Self> {
    let context = events::context(&env)?;
    let shared = SocketShared::new(context, None, true);
    // Idle until JavaScript starts a connect and says so through set_active, as a fresh
    // libuv handle is: a connect() that throws must not keep the process alive.
    shared.active.store(false, Ordering::Relaxed);
    Ok(SocketHandle {
      shared,
      bound: Mutex::new(None),
    })
  }

  #[napi(getter)]
  pub fn id(&self) -> u32 {
    self.shared.id
  }

  /// The descriptor, or -1 when there is none.
  #[napi(getter)]
  pub fn fd(&self) -> i32 {
    let io = lock(&self.shared.io);
    io.socket.as_ref().map_or(-1, |s| s.as_raw_fd())
  }

  /// Starts connecting to an IP address (and binds first if `local_host` is given); once
  /// connected, reads at once if `start_reading`. Returns 0 (a CONNECT event follows) or
  /// a negative errno.
  #[napi]
  pub fn connect_tcp(
    &self,
    host: String,
    port: u32,
    local_host: Option<String>,
    local_port: Option<u32>,
    start_reading: bool,
  ) -> i32 {
    let result = addr::ip(&host, port).and_then(|remote| {
      let local = match local_host {
        Some(local) => Some(addr::ip(&local, local_port.unwrap_or(0))?),
        None => None,
      };
      self.connect_to(remote, local, start_reading)
    });
    status(result)
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
  pub fn connect_unix(&self, path: String, start_reading: bool) -> i32 {
    status(addr::unix(&path).and_then(|remote| self.connect_to(remote, None, start_reading)))
  }

  /// 0, or -ENOTCONN for the write end of a FIFO, which libuv will not read either.
  #[napi]
  pub fn read_start(&self) -> i32 {
    if !self.shared.can_read.load(Ordering::Relaxed) {
      return -libc::ENOTCONN;
    }
    if !self.shared.reading.swap(true, Ordering::Relaxed) {
      self.shared.wake.notify();
    }
    0
  }

  #[napi]
  pub fn read_stop(&self) {
    self.shared.reading.store(false, Ordering::Relaxed);
  }

  /// See SocketShared::write: 0 written, 1 queued, or a negative errno.
  #[napi]
  pub fn write_buffer(&self, data: BufferSlice) -> i32 {
    self.shared.write(&[&data])
  }

  /// Writes the string as UTF-8 (the JS layer converts other encodings first).
  #[napi]
  pub fn write_utf8_string(&self, data: String) -> i32 {
    self.shared.write(&[data.as_bytes()])
  }

  /// Writes several buffers as one request, in one vectored syscall when they fit.
  #[napi]
  pub fn writev(&self, chunks: Vec<BufferSlice>) -> i32 {
    let slices: Vec<&[u8]> = chunks.iter().map(|c| &c[..]).collect();
    self.shared.write(&slices)
  }

  /// 0 done, 1 deferred until queued writes finish (a SHUTDOWN event follows), or a negative errno.
  #[napi]
  pub fn shutdown(&self) -> i32 {
    self.shared.shutdown()
  }

  #[napi]
  pub fn close(&self, env: Env) {
    // A bound socket never connected goes with the handle.
    drop(self.bound.lock().unwrap_or_else(|e| e.into_inner()).take());
    self.shared.close();
    self.update_ref(&env);
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
    self.shared.unrefed.store(false, Ordering::Relaxed);
    self.update_ref(&env);
  }

  /// What the socket is doing, for process lifetime: `active` while reading (an idle
  /// socket, like an idle libuv handle, lets the process exit), `pending` while a connect,
  /// write or shutdown is in flight (which holds the process even when unref'd).
  #[napi]
  pub fn set_active(&self, env: Env, active: bool, pending: bool) {
    self.shared.active.store(active, Ordering::Relaxed);
    self.shared.pending.store(pending, Ordering::Relaxed);
    self.update_ref(&env);
  }

  #[napi]
  pub fn unref(&self, env: Env) {
    self.shared.unrefed.store(true, Ordering::Relaxed);
    self.update_ref(&env);
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
      *self.bound.lock().unwrap_or_else(|e| e.into_inner()) = Some(socket);
    }))
  }

  #[napi]
  pub fn local_address(&self) -> Option<AddressInfo> {
    let addr = match self.shared.with_socket(|s| s.local_addr()) {
      Ok(addr) => addr,
      // Not connected yet: a bound socket waiting for its connect has its address.
      Err(_) => {
        let bound = self.bound.lock().unwrap_or_else(|e| e.into_inner());
        bound.as_ref()?.local_addr().ok()?
      }
    };
    addr::info(&addr)
  }

  #[napi]
  pub fn remote_address(&self) -> Option<AddressInfo> {
    let addr = self.shared.with_socket(|s| s.peer_addr()).ok()?;
    addr::info(&addr)
  }
}
