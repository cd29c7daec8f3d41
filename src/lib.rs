#![deny(clippy::all)]
//! rsnet's native layer: Server and Socket handles on one tokio I/O thread, with their
//! events delivered to JavaScript in batches. It knows sockets and syscalls, not streams;
//! lib/ builds Node's net API on top.

mod addr;
mod closing_phase;
mod errors;
mod events;
mod fd;
mod handle;
mod lock;
mod options;
mod read_pool;
mod runtime;
mod server;
mod socket;
mod tcp_controls;
mod transport;
mod wake;

use std::collections::HashMap;

use napi::bindgen_prelude::Unknown;
use napi::bindgen_prelude::{BufferSlice, Function, JsValue};
use napi::{Env, Result};
use napi_derive::napi;

pub use server::ServerHandle;
pub use socket::SocketHandle;
pub use tcp_controls::{check_congestion, get_tcp_options, set_tcp_options, tcp_info};

/// Sets up this environment's event path; `dispatch` gets each batch of events, and
/// `on_closing_phase` is called in a closing phase that `request_closing_phase` asked for.
#[napi]
pub fn init(
  env: Env,
  dispatch: Function<Unknown, Unknown>,
  on_closing_phase: Function<(), ()>,
) -> Result<()> {
  closing_phase::init(&env, on_closing_phase.value().value)?;
  events::init(&env, dispatch)
}

/// Asks for one call of `init`'s `on_closing_phase` in the closing phase of the event loop's
/// current turn, where libuv runs handles' close callbacks. False if that is not possible.
#[napi]
pub fn request_closing_phase() -> bool {
  closing_phase::request()
}

/// Lends the I/O thread `buffers` (Buffers of at least 16 KiB that JavaScript keeps, by
/// `slots`, untouched until each comes back in a LENT_DATA event) to read bulk data into.
#[napi]
pub fn lend_read_buffers(env: Env, mut buffers: Vec<BufferSlice>, slots: Vec<u32>) -> Result<()> {
  let context = events::context(&env)?;
  for (buffer, slot) in buffers.iter_mut().zip(slots) {
    // SAFETY: a Buffer's backing store (off the V8 heap at these sizes) does not move, and
    // JavaScript keeps the Buffer alive and untouched until its slot comes back.
    unsafe {
      context
        .read_pool
        .lend(buffer.as_mut_ptr(), buffer.len(), slot)
    };
  }
  Ok(())
}

/// The event kinds that `dispatch` receives, by name (src/events.rs defines them).
#[napi]
pub fn event_kinds() -> HashMap<&'static str, u32> {
  events::kind::ALL.into_iter().collect()
}

/// Node's name for the kind of a descriptor (TCP, PIPE, UDP, TTY, FILE or UNKNOWN), as
/// `new Socket({ fd })` and `listen({ fd })` check it.
#[napi]
pub fn guess_handle_type(fd: i32) -> &'static str {
  fd::handle_type(fd)
}

/// Abstract Unix names as exactly their bytes (libuv 1.48 on) or NUL-padded to the whole
/// sun_path (libuv 1.46); JavaScript says which once, for the running Node.
#[napi]
pub fn set_exact_abstract_names(exact: bool) {
  addr::set_exact_abstract_names(exact)
}
