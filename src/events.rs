//! The event path from the I/O thread to JavaScript, one per JavaScript environment
//! (main thread or worker). Every handle of an environment pushes its events onto one
//! queue; the environment's single threadsafe function is called only when that queue
//! goes from empty to non-empty, and JavaScript then receives the whole batch as one
//! flat array `[kind, id, payload, kind, id, payload, ...]` in one call. After a batch,
//! the handles whose requests or reading it finished recount their liveness.

use std::collections::HashMap;
use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};

use napi::bindgen_prelude::{Function, JsValue, Unknown};
use napi::{check_status, sys, Env, Result};

use crate::lock::lock;
use crate::read_pool::ReadPool;

/// Event kinds; JavaScript reads them from `eventKinds()`.
pub mod kind {
  /// A chunk read from a socket; payload: Buffer.
  pub const DATA: u32 = 1;
  /// The peer ended its side; no payload.
  pub const EOF: u32 = 2;
  /// Reading failed; payload: negative errno.
  pub const READ_ERROR: u32 = 3;
  /// A connect finished; payload: 0 or a negative errno.
  pub const CONNECT: u32 = 4;
  /// The queued write finished; no payload.
  pub const WRITE_DONE: u32 = 5;
  /// The queued write failed; payload: negative errno. Later writes fail with it too.
  pub const WRITE_ERROR: u32 = 6;
  /// A deferred shutdown of the write side finished; payload: 0 or a negative errno.
  pub const SHUTDOWN: u32 = 7;
  /// A server accepted a connection; payload: the new socket handle.
  pub const ACCEPT: u32 = 8;
  /// Accepting failed; payload: negative errno.
  pub const ACCEPT_ERROR: u32 = 9;
  /// A chunk read into a buffer JavaScript lent (src/read_pool.rs); payload: the buffer's
  /// slot and the chunk's length, as `slot << LENT_SLOT_SHIFT | length`.
  pub const LENT_DATA: u32 = 10;

  /// How far a LENT_DATA payload shifts the slot: lengths stay below 1 << 17.
  pub const LENT_SLOT_SHIFT: u32 = 17;

  /// Every kind by name, for JavaScript.
  pub const ALL: [(&str, u32); 11] = [
    ("DATA", DATA),
    ("EOF", EOF),
    ("READ_ERROR", READ_ERROR),
    ("CONNECT", CONNECT),
    ("WRITE_DONE", WRITE_DONE),
    ("WRITE_ERROR", WRITE_ERROR),
    ("SHUTDOWN", SHUTDOWN),
    ("ACCEPT", ACCEPT),
    ("ACCEPT_ERROR", ACCEPT_ERROR),
    ("LENT_DATA", LENT_DATA),
    ("LENT_SLOT_SHIFT", LENT_SLOT_SHIFT),
  ];

  /// Whether an event of this kind may change its handle's liveness: it ends a request or
  /// the reading. DATA, the most frequent, does not.
  pub fn ends_something(kind: u32) -> bool {
    kind != DATA && kind != LENT_DATA && kind != ACCEPT
  }
}

/// What the environment needs of an open handle (src/handle.rs implements it for every
/// handle kind).
pub trait Registered: Send + Sync {
  /// An event of `kind` (with its status, for those that carry one) reaches JavaScript;
  /// on the JS thread.
  fn delivered(&self, env: &Env, kind: u32, status: i32);
  /// The environment is torn down: close the handle.
  fn teardown(&self);
}

/// A reader whose read-ahead is bounded by what JavaScript has not taken yet.
pub trait ReadSource: Send + Sync {
  /// Called on the JS thread as `len` bytes of its data reach JavaScript.
  fn delivered(&self, len: usize);
}

/// A native object that becomes a JavaScript one as its event is delivered (an accepted
/// connection becomes its handle).
pub trait IntoJs: Send + Sync {
  fn into_js(self: Arc<Self>, env: &Env) -> Result<sys::napi_value>;
}

/// What an event carries to JavaScript.
pub enum Payload {
  None,
  Int(i32),
  /// A long chunk read from its source, in its own buffer, which JavaScript gets as external
  /// memory (no copy); delivering it lets that source read further.
  Data(Vec<u8>, Arc<dyn ReadSource>),
  /// A short chunk read from its source, kept in the batch's (then the queue's) byte arena
  /// at `start`, `len` bytes long.
  Bytes(usize, usize, Arc<dyn ReadSource>),
  /// A chunk read into JavaScript's lent buffer `slot`, `len` bytes long.
  Lent(u32, usize, Arc<dyn ReadSource>),
  Object(Arc<dyn IntoJs>),
}

pub struct Event {
  pub kind: u32,
  pub id: u32,
  pub payload: Payload,
}

/// The largest emptied vectors kept for the next batch.
const SPARE_BYTES_MAX: usize = 1024 * 1024;
const SPARE_EVENTS_MAX: usize = 4096;

/// Events built by the I/O thread before it takes the queue's lock, reused from one read
/// pass to the next. Short chunks are copied into `bytes` rather than into buffers of their
/// own: an allocation made on the I/O thread and freed on the JS thread takes glibc's
/// arena lock from both threads, and in a ping-pong that contention cost a futex sleep
/// and wake-up per round trip.
#[derive(Default)]
pub struct Batch {
  events: Vec<Event>,
  bytes: Vec<u8>,
}

impl Batch {
  pub fn push(&mut self, kind: u32, id: u32, payload: Payload) {
    self.events.push(Event { kind, id, payload });
  }

  /// Queues a short chunk as a copy in the arena.
  pub fn push_bytes(&mut self, id: u32, data: &[u8], from: Arc<dyn ReadSource>) {
    let start = self.bytes.len();
    self.bytes.extend_from_slice(data);
    self.push(kind::DATA, id, Payload::Bytes(start, data.len(), from));
  }
}

struct Queue {
  events: Vec<Event>,
  /// The bytes of the queued `Payload::Bytes` events.
  bytes: Vec<u8>,
  /// Set when the environment is torn down: the threadsafe function is gone.
  closed: bool,
}

/// Everything one JavaScript environment shares with the I/O thread.
pub struct EnvContext {
  queue: Mutex<Queue>,
  tsfn: sys::napi_threadsafe_function,
  next_id: AtomicU32,
  /// The JS thread's emptied vectors, swapped with the queue's at each delivery so that
  /// neither thread allocates per batch; touched on the JS thread only.
  spare: Mutex<(Vec<Event>, Vec<u8>)>,
  /// Open handles by id: events refresh their liveness, and teardown closes them all.
  handles: Mutex<HashMap<u32, Weak<dyn Registered>>>,
  /// How many open, referenced handles keep the event loop alive; touched on the JS thread only.
  refs: AtomicU32,
  /// The buffers JavaScript lent for bulk reads.
  pub read_pool: ReadPool,
}

// SAFETY: the raw threadsafe function pointer is only used through Node-API calls that are
// documented as callable from any thread (call, release), or from the JS thread (ref/unref);
// the Mutex around the queue orders calls against release.
unsafe impl Send for EnvContext {}
unsafe impl Sync for EnvContext {}

impl EnvContext {
  pub fn next_id(&self) -> u32 {
    self.next_id.fetch_add(1, Ordering::Relaxed)
  }

  pub fn register(&self, id: u32, handle: Weak<dyn Registered>) {
    lock(&self.handles).insert(id, handle);
  }

  pub fn unregister(&self, id: u32) {
    lock(&self.handles).remove(&id);
  }

  /// Queues an event; wakes the JS thread only if the queue was empty.
  pub fn push(&self, kind: u32, id: u32, payload: Payload) {
    let mut queue = lock(&self.queue);
    if queue.closed {
      return;
    }
    let was_empty = queue.events.is_empty();
    queue.events.push(Event { kind, id, payload });
    if was_empty {
      self.wake_js();
    }
  }

  /// Queues a batch's events in order (leaving it empty for reuse), waking the JS thread
  /// at most once for all of them.
  pub fn push_batch(&self, batch: &mut Batch) {
    if batch.events.is_empty() {
      return;
    }
    let mut queue = lock(&self.queue);
    if queue.closed {
      batch.events.clear();
      batch.bytes.clear();
      return;
    }
    let queue = &mut *queue;
    let was_empty = queue.events.is_empty();
    let base = queue.bytes.len();
    queue.bytes.extend_from_slice(&batch.bytes);
    batch.bytes.clear();
    queue.events.extend(batch.events.drain(..).map(|mut event| {
      if let Payload::Bytes(start, _, _) = &mut event.payload {
        *start += base;
      }
      event
    }));
    if was_empty {
      self.wake_js();
    }
  }

  /// Called with the queue locked, which orders it against `teardown`'s release.
  fn wake_js(&self) {
    // SAFETY: `closed` is false under the lock, so the function has not been released.
    // The call is non-blocking on an unbounded queue and carries no data.
    unsafe {
      sys::napi_call_threadsafe_function(
        self.tsfn,
        ptr::null_mut(),
        sys::ThreadsafeFunctionCallMode::nonblocking,
      );
    }
  }

  /// Makes `counted` (one handle's share) count towards keeping the loop alive, or not.
  pub fn set_ref(&self, env: &Env, counted: &AtomicBool, on: bool) {
    if counted.swap(on, Ordering::Relaxed) == on {
      return;
    }
    let before = if on {
      self.refs.fetch_add(1, Ordering::Relaxed)
    } else {
      self.refs.fetch_sub(1, Ordering::Relaxed)
    };
    let closed = lock(&self.queue).closed;
    if closed {
      return;
    }
    // SAFETY: we are on the JS thread (env is valid) and the function is not released.
    unsafe {
      if on && before == 0 {
        sys::napi_ref_threadsafe_function(env.raw(), self.tsfn);
      } else if !on && before == 1 {
        sys::napi_unref_threadsafe_function(env.raw(), self.tsfn);
      }
    }
  }

  /// Environment teardown: no more calls into JavaScript, and every handle closed.
  fn teardown(&self) {
    self.read_pool.teardown();
    crate::closing_phase::teardown();
    {
      let mut queue = lock(&self.queue);
      queue.closed = true;
      queue.events.clear();
      queue.bytes.clear();
      // SAFETY: called once, on the JS thread, while the environment is still alive; after
      // this no `push` calls the function because `closed` is set under the same lock.
      unsafe {
        sys::napi_release_threadsafe_function(self.tsfn, sys::ThreadsafeFunctionReleaseMode::abort);
      }
    }
    let handles: Vec<_> = lock(&self.handles).drain().map(|(_, h)| h).collect();
    for handle in handles.iter().filter_map(Weak::upgrade) {
      handle.teardown();
    }
  }

  /// Tells the handle with this id, if it is still open, that an event of `kind` reaches
  /// JavaScript.
  fn settle(&self, env: &Env, id: u32, kind: u32, status: i32) {
    let handle = lock(&self.handles).get(&id).and_then(Weak::upgrade);
    if let Some(handle) = handle {
      handle.delivered(env, kind, status);
    }
  }

  /// Swaps the queue's contents with the JS thread's spare vectors; `give_back` returns
  /// them emptied.
  fn take_events(&self) -> (Vec<Event>, Vec<u8>) {
    let (mut events, mut bytes) = std::mem::take(&mut *lock(&self.spare));
    {
      let mut queue = lock(&self.queue);
      std::mem::swap(&mut queue.events, &mut events);
      std::mem::swap(&mut queue.bytes, &mut bytes);
    }
    (events, bytes)
  }

  fn give_back(&self, mut events: Vec<Event>, mut bytes: Vec<u8>) {
    // A burst (thousands of sockets read at once) must not pin its peak for good.
    if bytes.capacity() > SPARE_BYTES_MAX {
      bytes = Vec::new();
    }
    if events.capacity() > SPARE_EVENTS_MAX {
      events = Vec::new();
    }
    events.clear();
    bytes.clear();
    *lock(&self.spare) = (events, bytes);
  }
}

/// Sets up the event path of the calling environment; `dispatch` receives every batch.
pub fn init(env: &Env, dispatch: Function<Unknown, Unknown>) -> Result<()> {
  if context(env).is_ok() {
    return Ok(());
  }
  let context = Arc::new(EnvContext {
    queue: Mutex::new(Queue {
      events: Vec::new(),
      bytes: Vec::new(),
      closed: false,
    }),
    spare: Mutex::new((Vec::new(), Vec::new())),
    tsfn: ptr::null_mut(),
    next_id: AtomicU32::new(1),
    handles: Mutex::new(HashMap::new()),
    refs: AtomicU32::new(0),
    read_pool: ReadPool::default(),
  });
  let mut tsfn = ptr::null_mut();
  let mut name = ptr::null_mut();
  // SAFETY: plain Node-API calls on the JS thread with valid arguments; the context pointer
  // handed to Node stays valid because `context` is kept alive in the instance data.
  unsafe {
    check_status!(sys::napi_create_string_utf8(
      env.raw(),
      c"rsnet".as_ptr(),
      5,
      &mut name
    ))?;
    check_status!(sys::napi_create_threadsafe_function(
      env.raw(),
      dispatch.value().value,
      ptr::null_mut(),
      name,
      0,
      1,
      ptr::null_mut(),
      None,
      Arc::as_ptr(&context) as *mut c_void,
      Some(deliver),
      &mut tsfn,
    ))?;
    // No handle is open yet: the function must not keep the process alive.
    check_status!(sys::napi_unref_threadsafe_function(env.raw(), tsfn))?;
  }
  // SAFETY: no other reference to the context exists yet, so writing the field is exclusive.
  unsafe {
    let raw = Arc::as_ptr(&context) as *mut EnvContext;
    (*raw).tsfn = tsfn;
  }
  let for_cleanup = context.clone();
  env.add_env_cleanup_hook(for_cleanup, |context| context.teardown())?;
  env.set_instance_data(context, (), |_| {})?;
  Ok(())
}

/// The calling environment's context, once `init` has run.
pub fn context(env: &Env) -> Result<Arc<EnvContext>> {
  match env.get_instance_data::<Arc<EnvContext>>()? {
    Some(context) => Ok(context.clone()),
    None => Err(napi::Error::from_reason(
      "rsnet: binding.init() was not called",
    )),
  }
}

/// Runs on the JS thread each time the threadsafe function fires: hands the queued
/// events to JavaScript in one call.
///
/// # Safety
/// Called by Node only, as the threadsafe function's call_js callback: `env` and
/// `dispatch` are live (or null while the environment is torn down), and `context` is the
/// EnvContext pointer given at creation.
unsafe extern "C" fn deliver(
  env: sys::napi_env,
  dispatch: sys::napi_value,
  context: *mut c_void,
  _data: *mut c_void,
) {
  if env.is_null() || context.is_null() {
    return;
  }
  // SAFETY: `context` is the pointer given at creation; the instance data keeps it alive
  // for as long as the environment (and so this function) exists.
  let context = unsafe { &*(context as *const EnvContext) };
  let (mut events, bytes) = context.take_events();
  if !events.is_empty() {
    // Before JavaScript runs: what it does next refreshes the handles itself.
    let js = Env::from_raw(env);
    for event in &events {
      if kind::ends_something(event.kind) {
        let status = match event.payload {
          Payload::Int(status) => status,
          _ => 0,
        };
        context.settle(&js, event.id, event.kind, status);
      }
    }
    // SAFETY: env is the live environment of the JS thread we run on.
    let wanted = context.read_pool.take_missed();
    if let Err(err) = unsafe { call_dispatch(env, dispatch, &mut events, &bytes, wanted) } {
      let _ = js.throw_error(&format!("rsnet: event delivery failed: {err}"), None);
    }
  }
  context.give_back(events, bytes);
}

/// Hands the batch to JavaScript's `dispatch` as one flat array, with how many more
/// buffers the read pool wants.
///
/// # Safety
/// `env` must be the live environment of the calling (JS) thread and `dispatch` a function
/// value of it; `bytes` must hold the arena that the events' `Bytes` payloads point into.
unsafe fn call_dispatch(
  env: sys::napi_env,
  dispatch: sys::napi_value,
  events: &mut Vec<Event>,
  bytes: &[u8],
  wanted: u32,
) -> Result<()> {
  let mut array = ptr::null_mut();
  let mut undefined = ptr::null_mut();
  // SAFETY: plain Node-API calls with the live env (the caller's contract); every value
  // created here belongs to the current handle scope, and each `Bytes` range lies within
  // `bytes` because push_batch rebased it onto the queue's arena that `bytes` now is.
  unsafe {
    check_status!(sys::napi_create_array_with_length(
      env,
      events.len() * 3,
      &mut array
    ))?;
    check_status!(sys::napi_get_undefined(env, &mut undefined))?;
    let mut index = 0u32;
    for event in events.drain(..) {
      let payload = match event.payload {
        Payload::None => undefined,
        Payload::Int(value) => int(env, value)?,
        Payload::Data(data, from) => {
          from.delivered(data.len());
          external_buffer(env, data)?
        }
        Payload::Bytes(start, len, from) => {
          from.delivered(len);
          buffer_copy(env, &bytes[start..start + len])?
        }
        Payload::Lent(slot, len, from) => {
          from.delivered(len);
          int(env, ((slot << kind::LENT_SLOT_SHIFT) as usize | len) as i32)?
        }
        Payload::Object(object) => object.into_js(&Env::from_raw(env))?,
      };
      check_status!(sys::napi_set_element(
        env,
        array,
        index,
        int(env, event.kind as i32)?
      ))?;
      check_status!(sys::napi_set_element(
        env,
        array,
        index + 1,
        int(env, event.id as i32)?
      ))?;
      check_status!(sys::napi_set_element(env, array, index + 2, payload))?;
      index += 3;
    }
    let args = [array, int(env, wanted as i32)?];
    let mut result = ptr::null_mut();
    // An exception thrown by dispatch stays pending, and Node reports it as uncaught.
    sys::napi_call_function(env, undefined, dispatch, 2, args.as_ptr(), &mut result);
  }
  Ok(())
}

/// # Safety
/// `env` must be the live environment of the calling (JS) thread.
unsafe fn int(env: sys::napi_env, value: i32) -> Result<sys::napi_value> {
  let mut out = ptr::null_mut();
  // SAFETY: a plain Node-API call on the JS thread (the caller's contract).
  check_status!(unsafe { sys::napi_create_int32(env, value, &mut out) })?;
  Ok(out)
}

/// A JavaScript Buffer holding a copy of `data`.
///
/// # Safety
/// `env` must be the live environment of the calling (JS) thread.
unsafe fn buffer_copy(env: sys::napi_env, data: &[u8]) -> Result<sys::napi_value> {
  let mut out = ptr::null_mut();
  let mut copy = ptr::null_mut();
  // SAFETY: a plain Node-API call on the JS thread; Node copies `data` before returning.
  check_status!(unsafe {
    sys::napi_create_buffer_copy(env, data.len(), data.as_ptr().cast(), &mut copy, &mut out)
  })?;
  Ok(out)
}

/// Hands `data` to JavaScript without copying; its finalizer frees it.
///
/// # Safety
/// `env` must be the live environment of the calling (JS) thread.
unsafe fn external_buffer(env: sys::napi_env, data: Vec<u8>) -> Result<sys::napi_value> {
  let mut out = ptr::null_mut();
  let mut boxed = Box::new(data);
  let (ptr, len) = (boxed.as_mut_ptr(), boxed.len());
  let hint = Box::into_raw(boxed);
  // SAFETY: the buffer points into the boxed Vec, which lives until the finalizer frees it.
  let status = unsafe {
    sys::napi_create_external_buffer(env, len, ptr.cast(), Some(free_vec), hint.cast(), &mut out)
  };
  if status != sys::Status::napi_ok {
    // SAFETY: Node did not take ownership, so the box is still ours.
    drop(unsafe { Box::from_raw(hint) });
    check_status!(status)?;
  }
  // No napi_adjust_external_memory: V8 already counts an ArrayBuffer's backing store as
  // external memory, and counting it twice halved the limit that starts a full collection
  // (bulk receive spent a fifth of its CPU time in major GCs).
  Ok(out)
}

/// # Safety
/// Called by Node once per external buffer, with the `hint` that `external_buffer` leaked.
unsafe extern "C" fn free_vec(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
  // SAFETY: `hint` is the box leaked in `external_buffer`, freed exactly once here.
  drop(unsafe { Box::from_raw(hint as *mut Vec<u8>) });
}
