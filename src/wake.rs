//! Wakes one task from another thread, with a stored permit: what `tokio::sync::Notify`
//! does for a single waiter, without a waiter node inside the waiting future. A socket's
//! task waits on this, its readiness (which tokio keeps in the reactor) and nothing else,
//! so the task stays small: it is most of what an idle connection costs.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::lock::lock;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
pub struct TaskWake {
  /// A wake-up not yet seen by the task.
  permit: AtomicBool,
  waker: Mutex<Option<Waker>>,
}

impl TaskWake {
  /// Wakes the task, or makes its next wait return at once.
  pub fn notify(&self) {
    // The permit is set before the waker is read, and the task stores its waker before it
    // takes the permit: whichever order the threads run in, the wake-up is not lost.
    self.permit.store(true, Ordering::SeqCst);
    let waker = lock(&self.waker);
    if let Some(waker) = waker.as_ref() {
      waker.wake_by_ref();
    }
  }

  /// Ready once `notify` has been called since the last time this was ready.
  pub fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
    {
      let mut slot = lock(&self.waker);
      if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
        *slot = Some(cx.waker().clone());
      }
    }
    if self.permit.swap(false, Ordering::SeqCst) {
      Poll::Ready(())
    } else {
      Poll::Pending
    }
  }

  pub async fn wait(&self) {
    poll_fn(|cx| self.poll(cx)).await
  }
}

#[cfg(test)]
mod tests {
  use super::TaskWake;
  use std::sync::Arc;

  #[test]
  fn a_notify_before_the_wait_is_kept_and_used_once() {
    let rt = tokio::runtime::Builder::new_current_thread()
      .enable_time()
      .build()
      .unwrap();
    let wake = TaskWake::default();
    wake.notify();
    wake.notify();
    rt.block_on(wake.wait());
    let again = rt.block_on(async {
      tokio::time::timeout(std::time::Duration::from_millis(20), wake.wait()).await
    });
    assert!(again.is_err(), "two notifies before a wait make one permit");
  }

  #[test]
  fn a_notify_from_another_thread_wakes_the_waiting_task() {
    let rt = tokio::runtime::Builder::new_current_thread()
      .enable_time()
      .build()
      .unwrap();
    let wake = Arc::new(TaskWake::default());
    let other = wake.clone();
    let notifier = std::thread::spawn(move || {
      std::thread::sleep(std::time::Duration::from_millis(20));
      other.notify();
    });
    let woken = rt.block_on(async {
      tokio::time::timeout(std::time::Duration::from_secs(5), wake.wait()).await
    });
    notifier.join().unwrap();
    assert!(woken.is_ok());
  }
}
