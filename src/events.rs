//! The event path from the I/O thread to JavaScript, one per JavaScript environment
//! (main thread or worker). Every handle of an environment pushes its events onto one
//! queue; the environment's single threadsafe function is called only when that queue
//! goes from empty to non-empty, and JavaScript then receives the whole batch as one
//! flat array `[kind, id, payload, kind, id, payload, ...]` in one call.

use std::collections::HashMap;
use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use napi::bindgen_prelude::ToNapiValue;
use napi::bindgen_prelude::{Function, JsValue, Unknown};
use napi::{check_status, sys, Env, Result};

use crate::socket::{SocketHandle, SocketShared};

/// Event kinds, mirrored by lib/binding.js.
pub mod kind {
  /// A chunk read from a socket; payload: Buffer.
  pub const DATA: u32 = 1;
  /// The peer ended its side; no payload.
  pub const EOF: u32 = 2;
  /// Reading failed; payload: negative errno.
  pub const READ_ERROR: u32 = 3;
  /// A connect finished; payload: 0 or a negative errno.
  pub const CONNECT: u32 = 4;
  /// Queued writes finished in order; payload: how many requests.
  pub const WRITE_DONE: u32 = 5;
  /// A queued write failed; payload: negative errno. Later requests fail with it too.
  pub const WRITE_ERROR: u32 = 6;
  /// A deferred shutdown of the write side finished; payload: 0 or a negative errno.
  pub const SHUTDOWN: u32 = 7;
  /// A server accepted a connection; payload: the new socket handle.
  pub const ACCEPT: u32 = 8;
  /// Accepting failed; payload: negative errno.
  pub const ACCEPT_ERROR: u32 = 9;
}

/// What an event carries to JavaScript.
pub enum Payload {
  None,
  Int(i32),
  /// A chunk read from `from`; delivering it lets that socket read further.
  Data(Vec<u8>, Arc<SocketShared>),
  Socket(Arc<SocketShared>),
}

pub struct Event {
  pub kind: u32,
  pub id: u32,
  pub payload: Payload,
}

/// A handle that the environment must be able to close when it is torn down.
pub trait Teardown: Send + Sync {
  fn teardown(&self);
}

/// Below this size a read is copied into a fresh JS Buffer; above it the Vec is
/// handed over as external memory, which saves the copy but costs a finalizer.
const COPY_BELOW: usize = 16 * 1024;

struct Queue {
  events: Vec<Event>,
  /// Set when the environment is torn down: the threadsafe function is gone.
  closed: bool,
}

/// Everything one JavaScript environment shares with the I/O thread.
pub struct EnvContext {
  queue: Mutex<Queue>,
  tsfn: sys::napi_threadsafe_function,
  next_id: AtomicU32,
  /// Open handles, so teardown can close them all.
  handles: Mutex<HashMap<u32, Weak<dyn Teardown>>>,
  /// How many open, referenced handles keep the event loop alive; touched on the JS thread only.
  refs: AtomicU32,
}

// SAFETY: the raw threadsafe function pointer is only used through Node-API calls that are
// documented as callable from any thread (call, release), or from the JS thread (ref/unref);
// the Mutex around the queue orders calls against release.
unsafe impl Send for EnvContext {}
unsafe impl Sync for EnvContext {}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
  // A panic while holding the lock cannot leave the queue half-updated in a way that matters.
  mutex
    .lock()
    .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl EnvContext {
  pub fn next_id(&self) -> u32 {
    self.next_id.fetch_add(1, Ordering::Relaxed)
  }

  pub fn register(&self, id: u32, handle: Weak<dyn Teardown>) {
    lock(&self.handles).insert(id, handle);
  }

  pub fn unregister(&self, id: u32) {
    lock(&self.handles).remove(&id);
  }

  /// Queues an event; wakes the JS thread only if the queue was empty.
  pub fn push(&self, kind: u32, id: u32, payload: Payload) {
    self.push_all(vec![Event { kind, id, payload }]);
  }

  /// Queues events in order, waking the JS thread at most once for all of them.
  pub fn push_all(&self, mut events: Vec<Event>) {
    if events.is_empty() {
      return;
    }
    let mut queue = lock(&self.queue);
    if queue.closed {
      return;
    }
    let was_empty = queue.events.is_empty();
    if was_empty {
      std::mem::swap(&mut queue.events, &mut events);
    } else {
      queue.events.append(&mut events);
    }
    if was_empty {
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
    {
      let mut queue = lock(&self.queue);
      queue.closed = true;
      queue.events.clear();
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

  fn take_events(&self) -> Vec<Event> {
    std::mem::take(&mut lock(&self.queue).events)
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
      closed: false,
    }),
    tsfn: ptr::null_mut(),
    next_id: AtomicU32::new(1),
    handles: Mutex::new(HashMap::new()),
    refs: AtomicU32::new(0),
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
  let events = context.take_events();
  if events.is_empty() {
    return;
  }
  // SAFETY: env is the live environment of the JS thread we run on.
  if let Err(err) = unsafe { call_dispatch(env, dispatch, events) } {
    let env = Env::from_raw(env);
    let _ = env.throw_error(&format!("rsnet: event delivery failed: {err}"), None);
  }
}

unsafe fn call_dispatch(
  env: sys::napi_env,
  dispatch: sys::napi_value,
  events: Vec<Event>,
) -> Result<()> {
  let mut array = ptr::null_mut();
  let mut undefined = ptr::null_mut();
  unsafe {
    check_status!(sys::napi_create_array_with_length(
      env,
      events.len() * 3,
      &mut array
    ))?;
    check_status!(sys::napi_get_undefined(env, &mut undefined))?;
    let mut index = 0u32;
    for event in events {
      let payload = match event.payload {
        Payload::None => undefined,
        Payload::Int(value) => int(env, value)?,
        Payload::Data(data, from) => {
          from.delivered(data.len());
          buffer(env, data)?
        }
        Payload::Socket(shared) => {
          ToNapiValue::to_napi_value(env, SocketHandle::adopt(&Env::from_raw(env), shared))?
        }
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
    let mut result = ptr::null_mut();
    // An exception thrown by dispatch stays pending, and Node reports it as uncaught.
    sys::napi_call_function(env, undefined, dispatch, 1, &array, &mut result);
  }
  Ok(())
}

unsafe fn int(env: sys::napi_env, value: i32) -> Result<sys::napi_value> {
  let mut out = ptr::null_mut();
  check_status!(unsafe { sys::napi_create_int32(env, value, &mut out) })?;
  Ok(out)
}

unsafe fn buffer(env: sys::napi_env, data: Vec<u8>) -> Result<sys::napi_value> {
  let mut out = ptr::null_mut();
  if data.len() < COPY_BELOW {
    let mut copy = ptr::null_mut();
    check_status!(unsafe {
      sys::napi_create_buffer_copy(env, data.len(), data.as_ptr().cast(), &mut copy, &mut out)
    })?;
    return Ok(out);
  }
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
  // V8 does not count external memory on its own: without this, buffers that are
  // garbage already pile up between collections and RSS grows with the transfer rate.
  let mut total = 0;
  // SAFETY: a plain Node-API call on the JS thread.
  unsafe { sys::napi_adjust_external_memory(env, len as i64, &mut total) };
  Ok(out)
}

unsafe extern "C" fn free_vec(env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
  // SAFETY: `hint` is the box leaked in `buffer`, freed exactly once here.
  let data = unsafe { Box::from_raw(hint as *mut Vec<u8>) };
  if !env.is_null() {
    let mut total = 0;
    // SAFETY: finalizers run on the JS thread of a live environment.
    unsafe { sys::napi_adjust_external_memory(env, -(data.len() as i64), &mut total) };
  }
  drop(data);
}
