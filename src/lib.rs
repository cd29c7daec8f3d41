#![deny(clippy::all)]
//! rsnet's native layer: Server and Socket handles on one tokio I/O thread, with their
//! events delivered to JavaScript in batches. It knows sockets and syscalls, not streams;
//! lib/ builds Node's net API on top.

mod addr;
mod errors;
mod events;
mod fd;
mod handle;
mod lock;
mod options;
mod runtime;
mod server;
mod socket;
mod tcp_controls;
mod transport;
mod wake;

use std::collections::HashMap;

use napi::bindgen_prelude::Function;
use napi::bindgen_prelude::Unknown;
use napi::{Env, Result};
use napi_derive::napi;

pub use server::ServerHandle;
pub use socket::SocketHandle;
pub use tcp_controls::{check_congestion, get_tcp_options, set_tcp_options, tcp_info};

/// Sets up this environment's event path; `dispatch` gets each batch of events.
#[napi]
pub fn init(env: Env, dispatch: Function<Unknown, Unknown>) -> Result<()> {
  events::init(&env, dispatch)
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
