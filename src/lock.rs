//! The one way rsnet locks state shared between the JS thread and the I/O thread.

use std::sync::{Mutex, MutexGuard};

/// No code panics while holding one of these locks, so a poisoned one still guards
/// consistent state: take it rather than fail (a panic must not cross into Node).
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
  mutex
    .lock()
    .unwrap_or_else(|poisoned| poisoned.into_inner())
}
