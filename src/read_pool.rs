//! Buffers JavaScript lends the I/O thread to read bulk data into, one pool per
//! environment. A chunk read into one goes to JavaScript as that very Buffer: no copy, and
//! no external memory. An external buffer (a Vec handed over) costs Node a finalizer, a
//! weak handle and a threadsafe immediate to free it, and its backing store counts as
//! external memory that only a full collection gives back: a bulk receive of 1 GB/s ran
//! 16 mark-compacts a second that way, where net (whose reads land in buffers V8
//! allocates) ran none.
//!
//! JavaScript (lib/binding.js) keeps every lent Buffer in a table by slot until the chunk
//! read into it comes back in a LENT_DATA event, and lends more as chunks come back or as
//! the I/O thread reports reads that found the pool empty.

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, RwLock, RwLockReadGuard};

use crate::lock::lock;

/// The smallest buffer worth lending; smaller ones are refused.
pub const MIN_LEN: usize = 16 * 1024;

/// A buffer of JavaScript's, lent by slot: `ptr` points into its ArrayBuffer's backing
/// store, which V8 never moves and JavaScript keeps alive (the slot table) until the
/// buffer comes back.
struct Lent {
  ptr: *mut u8,
  len: usize,
  slot: u32,
}

// SAFETY: the memory a Lent points to belongs to no thread; only one thread at a time
// uses it: the I/O thread while it holds the Lent, JavaScript once it got its slot back.
unsafe impl Send for Lent {}

#[derive(Default)]
pub struct ReadPool {
  /// Buffers free to read into, the most recently returned last (still in the cache).
  free: Mutex<Vec<Lent>>,
  /// False once the environment is torn down, and with it the buffers' memory. The I/O
  /// thread holds it shared while it touches a lent buffer.
  gone: RwLock<bool>,
  /// Bulk reads that found no free buffer since JavaScript last asked.
  missed: AtomicU32,
}

impl ReadPool {
  /// Lends `len` bytes at `ptr`, the backing store of JavaScript's buffer `slot`.
  ///
  /// # Safety
  /// `ptr` must point to `len` writable bytes that stay valid, and that JavaScript does
  /// not touch, until the slot comes back in a LENT_DATA event or the environment ends.
  pub unsafe fn lend(&self, ptr: *mut u8, len: usize, slot: u32) {
    if len >= MIN_LEN && !*self.gone.read().unwrap_or_else(|e| e.into_inner()) {
      lock(&self.free).push(Lent { ptr, len, slot });
    }
  }

  /// A free buffer to read into, or None (counted as a miss) if there is none.
  pub fn borrow(&self) -> Option<Borrowed<'_>> {
    let gone = self.gone.read().unwrap_or_else(|e| e.into_inner());
    if *gone {
      return None;
    }
    let Some(lent) = lock(&self.free).pop() else {
      self.missed.fetch_add(1, Ordering::Relaxed);
      return None;
    };
    Some(Borrowed {
      pool: self,
      _gone: gone,
      lent: Some(lent),
    })
  }

  /// The misses since the last call; JavaScript lends that many more.
  pub fn take_missed(&self) -> u32 {
    self.missed.swap(0, Ordering::Relaxed)
  }

  /// The environment is going: its buffers with it. Waits for a read in progress.
  pub fn teardown(&self) {
    *self.gone.write().unwrap_or_else(|e| e.into_inner()) = true;
    lock(&self.free).clear();
  }
}

/// A lent buffer the I/O thread is using; back to the pool when dropped, unless kept.
pub struct Borrowed<'a> {
  pool: &'a ReadPool,
  /// Keeps teardown (and so the buffer's memory going away) waiting.
  _gone: RwLockReadGuard<'a, bool>,
  lent: Option<Lent>,
}

impl Borrowed<'_> {
  fn lent(&self) -> &Lent {
    // Only `keep` takes it, and that consumes self.
    self
      .lent
      .as_ref()
      .expect("a Borrowed holds its buffer until kept")
  }

  pub fn space(&mut self) -> &mut [MaybeUninit<u8>] {
    let lent = self.lent();
    // SAFETY: lend's contract: `len` writable bytes, ours alone while we hold the Lent,
    // and alive while `_gone` holds teardown off.
    unsafe { std::slice::from_raw_parts_mut(lent.ptr.cast(), lent.len) }
  }

  /// The first `n` bytes, once a read has filled them.
  pub fn filled(&self, n: usize) -> &[u8] {
    let lent = self.lent();
    assert!(n <= lent.len);
    // SAFETY: as in `space`; the caller's read initialised the first n bytes.
    unsafe { std::slice::from_raw_parts(lent.ptr, n) }
  }

  /// Keeps the buffer out of the pool: its data goes to JavaScript, which gets the slot.
  pub fn keep(mut self) -> u32 {
    let lent = self.lent.take().expect("kept once");
    lent.slot
  }
}

impl Drop for Borrowed<'_> {
  fn drop(&mut self) {
    if let Some(lent) = self.lent.take() {
      lock(&self.pool.free).push(lent);
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn a_buffer_comes_back_unless_kept_and_a_miss_is_counted() {
    let pool = ReadPool::default();
    let mut memory = vec![0u8; MIN_LEN];
    assert!(pool.borrow().is_none());
    assert_eq!(pool.take_missed(), 1);
    assert_eq!(pool.take_missed(), 0);
    // SAFETY: `memory` outlives the pool's use of it in this test.
    unsafe { pool.lend(memory.as_mut_ptr(), memory.len(), 7) };
    {
      let mut borrowed = pool.borrow().expect("lent");
      borrowed.space()[0].write(42);
      assert_eq!(borrowed.filled(1), &[42]);
    }
    let borrowed = pool.borrow().expect("returned on drop");
    assert_eq!(borrowed.keep(), 7);
    assert!(pool.borrow().is_none());
  }

  #[test]
  fn small_buffers_are_refused_and_teardown_empties_the_pool() {
    let pool = ReadPool::default();
    let mut small = vec![0u8; MIN_LEN - 1];
    let mut big = vec![0u8; MIN_LEN];
    // SAFETY: both outlive the pool's use of them here.
    unsafe {
      pool.lend(small.as_mut_ptr(), small.len(), 1);
      pool.lend(big.as_mut_ptr(), big.len(), 2);
    }
    assert_eq!(pool.borrow().map(Borrowed::keep), Some(2));
    // SAFETY: as above.
    unsafe { pool.lend(big.as_mut_ptr(), big.len(), 2) };
    pool.teardown();
    assert!(pool.borrow().is_none());
    assert_eq!(pool.take_missed(), 0, "a torn-down pool counts no misses");
  }
}
