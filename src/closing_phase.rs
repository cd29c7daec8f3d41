//! A call into JavaScript in the closing phase of the event loop's current turn, where
//! libuv runs the close callbacks of handles. rsnet's handles close on the I/O thread,
//! with no such callback, so a socket's 'close' (which Node emits from its handle's close
//! callback) waits for this: after the turn's immediates, before the next poll.
//!
//! The phase comes from libuv itself: a bare idle handle, closed at once, whose close
//! callback calls JavaScript. libuv is Node's, found by name in the running process (Node
//! exports its symbols for addons), so nothing links against it.

use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_void, CStr};
use std::ptr;
use std::rc::Rc;
use std::sync::OnceLock;

use napi::{check_status, sys, Env, Result};

/// libuv's `UV_IDLE`, the value of `uv_handle_type` that every libuv 1.x has.
const UV_IDLE: c_int = 6;

type CloseCb = unsafe extern "C" fn(*mut c_void);
type HandleSizeFn = unsafe extern "C" fn(c_int) -> usize;
type IdleInitFn = unsafe extern "C" fn(*mut sys::uv_loop_s, *mut c_void) -> c_int;
type CloseFn = unsafe extern "C" fn(*mut c_void, Option<CloseCb>);

/// The libuv functions used here, looked up in the process once.
struct Uv {
  handle_size: HandleSizeFn,
  idle_init: IdleInitFn,
  close: CloseFn,
}

fn uv() -> Option<&'static Uv> {
  static UV: OnceLock<Option<Uv>> = OnceLock::new();
  UV.get_or_init(|| {
    // SAFETY: dlsym with RTLD_DEFAULT and NUL-terminated names; each symbol found is
    // libuv's function of that name, whose C signature the type spells out.
    unsafe {
      let find = |name: &CStr| {
        let symbol = libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr());
        (!symbol.is_null()).then_some(symbol)
      };
      Some(Uv {
        handle_size: std::mem::transmute::<*mut c_void, HandleSizeFn>(find(c"uv_handle_size")?),
        idle_init: std::mem::transmute::<*mut c_void, IdleInitFn>(find(c"uv_idle_init")?),
        close: std::mem::transmute::<*mut c_void, CloseFn>(find(c"uv_close")?),
      })
    }
  })
  .as_ref()
}

/// The calling thread's JavaScript environment's closing-phase call: each environment
/// (the main thread, each worker) runs on a thread of its own.
struct State {
  env: sys::napi_env,
  uv_loop: *mut sys::uv_loop_s,
  callback: sys::napi_ref,
  async_context: sys::napi_async_context,
  /// A call is requested for this turn already.
  requested: Cell<bool>,
  /// The environment is torn down: a close callback still to come must not call into it.
  gone: Cell<bool>,
}

thread_local! {
  static STATE: RefCell<Option<Rc<State>>> = const { RefCell::new(None) };
}

/// Makes `callback` the function called in a requested closing phase of this environment.
pub fn init(env: &Env, callback: sys::napi_value) -> Result<()> {
  let raw = env.raw();
  let mut uv_loop = ptr::null_mut();
  let mut reference = ptr::null_mut();
  let mut name = ptr::null_mut();
  let mut async_context = ptr::null_mut();
  // SAFETY: plain Node-API calls on the JS thread with the live env and valid pointers.
  unsafe {
    check_status!(sys::napi_get_uv_event_loop(raw, &mut uv_loop))?;
    check_status!(sys::napi_create_reference(raw, callback, 1, &mut reference))?;
    check_status!(sys::napi_create_string_utf8(
      raw,
      c"rsnet:close".as_ptr(),
      11,
      &mut name
    ))?;
    check_status!(sys::napi_async_init(
      raw,
      ptr::null_mut(),
      name,
      &mut async_context
    ))?;
  }
  let state = Rc::new(State {
    env: raw,
    uv_loop,
    callback: reference,
    async_context,
    requested: Cell::new(false),
    gone: Cell::new(false),
  });
  STATE.with_borrow_mut(|slot| *slot = Some(state));
  Ok(())
}

/// Asks for one call of the callback in this turn's closing phase (the next turn's, when
/// called from inside it). Returns false if there is no environment or libuv was not found.
pub fn request() -> bool {
  let Some(state) = STATE.with_borrow(|slot| slot.clone()) else {
    return false;
  };
  if state.requested.get() {
    return true;
  }
  let Some(uv) = uv() else {
    return false;
  };
  // SAFETY: a zeroed block of libuv's own size for an idle handle, initialised on this
  // thread's loop and closed at once; libuv gives it back to `closed`, which frees it.
  // `data`, the first field of every uv_handle_t, holds a strong count of the state, so
  // the state outlives the handle whatever the order of teardown.
  unsafe {
    let handle = libc::calloc(1, (uv.handle_size)(UV_IDLE));
    if handle.is_null() {
      return false;
    }
    if (uv.idle_init)(state.uv_loop, handle) != 0 {
      libc::free(handle);
      return false;
    }
    state.requested.set(true);
    *(handle as *mut *const State) = Rc::into_raw(state);
    (uv.close)(handle, Some(closed));
  }
  true
}

/// The environment is being torn down: no more calls into it.
pub fn teardown() {
  if let Some(state) = STATE.with_borrow_mut(|slot| slot.take()) {
    state.gone.set(true);
  }
}

impl State {
  fn call(&self) {
    self.requested.set(false);
    if self.gone.get() {
      return;
    }
    let env = self.env;
    // SAFETY: on the JS thread, in a libuv callback of the live environment (not `gone`),
    // so Node-API calls are allowed inside a handle scope; napi_make_callback sets up the
    // callback scope (async context, ticks and microtasks) as Node does for its own handles.
    unsafe {
      let mut scope = ptr::null_mut();
      if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
        return;
      }
      let mut callback = ptr::null_mut();
      let mut global = ptr::null_mut();
      let mut result = ptr::null_mut();
      if sys::napi_get_reference_value(env, self.callback, &mut callback) == sys::Status::napi_ok
        && sys::napi_get_global(env, &mut global) == sys::Status::napi_ok
      {
        let status = sys::napi_make_callback(
          env,
          self.async_context,
          global,
          callback,
          0,
          ptr::null(),
          &mut result,
        );
        if status == sys::Status::napi_pending_exception {
          // As from any of Node's own callbacks: to 'uncaughtException'.
          let mut error = ptr::null_mut();
          if sys::napi_get_and_clear_last_exception(env, &mut error) == sys::Status::napi_ok {
            sys::napi_fatal_exception(env, error);
          }
        }
      }
      sys::napi_close_handle_scope(env, scope);
    }
  }
}

/// libuv's close callback of a requested closing phase.
///
/// # Safety
/// Called by libuv only, with a handle that `request` allocated, whose `data` holds the
/// strong count `request` gave it.
unsafe extern "C" fn closed(handle: *mut c_void) {
  // SAFETY: the function's contract; the handle is libuv's no more once this runs.
  let state = unsafe {
    let state = Rc::from_raw(*(handle as *mut *const State));
    libc::free(handle);
    state
  };
  state.call();
}
