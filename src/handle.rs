//! What every native handle has, as libuv's handles share `uv_handle_t` and Node's share
//! `HandleWrap`: an id in its environment, that environment's event path, the one wake-up
//! of its I/O task, and whether it keeps the event loop alive. JavaScript only calls verbs
//! (readStart, readStop, ref, unref, close); each handle derives its liveness from what it
//! already knows and the core turns that into the environment's reference count.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use napi::Env;

use crate::events::{EnvContext, Registered};
use crate::wake::TaskWake;

/// What keeps a handle's process alive, as libuv counts it.
#[derive(Clone, Copy, Default)]
pub struct Liveness {
  /// The handle is open and doing something it was asked to (reading, listening): it keeps
  /// the loop alive unless unref'd.
  pub active: bool,
  /// A request is in flight (connect, write, shutdown): it keeps the loop alive even when
  /// the handle is unref'd, as a pending libuv request does.
  pub pending: bool,
}

/// A handle the environment knows by id: it can say whether it keeps the loop alive, and
/// be closed when the environment is torn down.
pub trait Handle: Send + Sync {
  fn core(&self) -> &HandleCore;
  /// Derived from the handle's own state; asked on the JS thread only.
  fn liveness(&self) -> Liveness;
  /// An event of this kind (with its status, for those that carry one) reaches JavaScript:
  /// the request or the reading it answers is over. On the JS thread.
  fn settle(&self, _kind: u32, _status: i32) {}
  /// Closes the handle (idempotent); its task ends on the I/O thread.
  fn close(&self);
}

impl<H: Handle> Registered for H {
  fn delivered(&self, env: &Env, kind: u32, status: i32) {
    self.settle(kind, status);
    self.core().refresh(env, self);
  }

  fn teardown(&self) {
    self.close();
  }
}

pub struct HandleCore {
  pub id: u32,
  pub env: Arc<EnvContext>,
  /// Wakes the handle's I/O task after JavaScript changed something it waits on.
  pub wake: TaskWake,
  /// Whether this handle is counted in the environment's references (see EnvContext::set_ref).
  counted: AtomicBool,
  /// Whether JavaScript called unref().
  unrefed: AtomicBool,
}

impl HandleCore {
  pub fn new(env: Arc<EnvContext>) -> Self {
    HandleCore {
      id: env.next_id(),
      env,
      wake: TaskWake::default(),
      counted: AtomicBool::new(false),
      unrefed: AtomicBool::new(false),
    }
  }

  /// Makes the environment know `handle` by its id, so that events refresh its liveness and
  /// teardown closes it.
  pub fn register<H: Handle + 'static>(handle: &Arc<H>) {
    let weak: Weak<dyn Registered> = Arc::downgrade(handle) as _;
    handle.core().env.register(handle.core().id, weak);
  }

  /// ref() or unref(), then the liveness that follows.
  pub fn set_unref(&self, env: &Env, handle: &dyn Handle, unref: bool) {
    self.unrefed.store(unref, Ordering::Relaxed);
    self.refresh(env, handle);
  }

  /// Recounts whether the handle keeps the loop alive; on the JS thread, after anything
  /// that may change its liveness.
  pub fn refresh(&self, env: &Env, handle: &dyn Handle) {
    let Liveness { active, pending } = handle.liveness();
    let on = pending || (active && !self.unrefed.load(Ordering::Relaxed));
    self.env.set_ref(env, &self.counted, on);
  }
}
