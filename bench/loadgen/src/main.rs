//! rsnet benchmark load generator.
//!
//! Client modes (drive a server under test, print one JSON line on stdout):
//!   pingpong   --port P [--secs S] [--size 64]
//!   echo       --port P [--conns 16] [--size 1024] [--inflight 16] [--secs S]
//!   echo-small --port P [--conns 64] [--size 64]   [--inflight 1]  [--secs S]
//!   connect    --port P [--loops 8] [--secs S]
//!   http       --port P [--conns 50] [--secs S]
//!   bulk-recv  --port P --bytes N
//!   bulk-send  --port P --bytes N
//! One-shot measurement (against an echo server):
//!   idle-memory --port P --pid PID [--conns 10000] [--batch 500] [--settle 1]
//! Server modes (native peers for JS clients; print {"port":N} once listening):
//!   server-echo --port P
//!   server-bulk --port P [--mode source|sink] [--bytes N]
//!
//! Common options: --host H (default 127.0.0.1), --warmup S (default 0.5),
//! --cpu-pid PID (also report the CPU time that process used during the
//! measured window, from /proc/PID/stat, all threads), --threads N (default 1:
//! current-thread runtime, so the load generator occupies at most one core).
//! idle-memory reads the RSS of --pid (or of --cpu-pid when --pid is absent).

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Debug)]
struct Opts {
    mode: String,
    host: String,
    port: u16,
    secs: f64,
    warmup: f64,
    size: usize,
    conns: usize,
    inflight: usize,
    loops: usize,
    bytes: u64,
    cpu_pid: Option<u32>,
    threads: usize,
    bulk_mode: String,
    pid: Option<u32>,
    settle: f64,
    batch: usize,
}

fn usage() -> ! {
    eprintln!(
        "usage: loadgen <pingpong|echo|echo-small|connect|http|bulk-recv|bulk-send|idle-memory|server-echo|server-bulk> \
         [--port P] [--host H] [--secs S] [--warmup S] [--size B] [--conns N] [--inflight N] \
         [--loops N] [--bytes N[K|M|G]] [--cpu-pid PID] [--threads N] [--mode source|sink] \
         [--pid PID] [--settle S] [--batch N]"
    );
    std::process::exit(2);
}

/// Parses "1024", "64K", "256M", "1G", "1GiB", "1.5G" (binary multiples).
fn parse_bytes(s: &str) -> Option<u64> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let stripped = lower.strip_suffix("ib").or_else(|| lower.strip_suffix('b')).unwrap_or(&lower);
    let (num, mult) = match stripped.chars().last()? {
        'k' => (&stripped[..stripped.len() - 1], 1u64 << 10),
        'm' => (&stripped[..stripped.len() - 1], 1u64 << 20),
        'g' => (&stripped[..stripped.len() - 1], 1u64 << 30),
        't' => (&stripped[..stripped.len() - 1], 1u64 << 40),
        _ => (stripped, 1u64),
    };
    if let Ok(v) = num.parse::<u64>() {
        return v.checked_mul(mult);
    }
    let f: f64 = num.parse().ok()?;
    if f.is_nan() || f < 0.0 {
        return None;
    }
    Some((f * mult as f64) as u64)
}

fn parse_args() -> Opts {
    let mut args = std::env::args().skip(1);
    let mode = match args.next() {
        Some(m) if !m.starts_with('-') => m,
        _ => usage(),
    };
    let small = mode == "echo-small";
    let conns = match mode.as_str() {
        "echo-small" => 64,
        "http" => 50,
        "idle-memory" => 10_000,
        _ => 16,
    };
    let mut o = Opts {
        mode,
        host: "127.0.0.1".into(),
        port: 0,
        secs: 3.0,
        warmup: 0.5,
        size: if small { 64 } else { 1024 },
        conns,
        inflight: if small { 1 } else { 16 },
        loops: 8,
        bytes: 1 << 30,
        cpu_pid: None,
        threads: 1,
        bulk_mode: "source".into(),
        pid: None,
        settle: 1.0,
        batch: 500,
    };
    if o.mode == "pingpong" {
        o.size = 64;
    }
    let rest: Vec<String> = args.collect();
    let mut i = 0;
    while i < rest.len() {
        let key = rest[i].as_str();
        let val = rest.get(i + 1).cloned().unwrap_or_else(|| {
            eprintln!("missing value for {key}");
            usage()
        });
        let bad = |what: &str| -> ! {
            eprintln!("bad value for {what}: {val}");
            usage()
        };
        match key {
            "--host" => o.host = val.clone(),
            "--port" => o.port = val.parse().unwrap_or_else(|_| bad(key)),
            "--secs" => o.secs = val.parse().unwrap_or_else(|_| bad(key)),
            "--warmup" => o.warmup = val.parse().unwrap_or_else(|_| bad(key)),
            "--size" => o.size = val.parse().unwrap_or_else(|_| bad(key)),
            "--conns" => o.conns = val.parse().unwrap_or_else(|_| bad(key)),
            "--inflight" => o.inflight = val.parse().unwrap_or_else(|_| bad(key)),
            "--loops" => o.loops = val.parse().unwrap_or_else(|_| bad(key)),
            "--bytes" => o.bytes = parse_bytes(&val).unwrap_or_else(|| bad(key)),
            "--cpu-pid" => o.cpu_pid = Some(val.parse().unwrap_or_else(|_| bad(key))),
            "--threads" => o.threads = val.parse().unwrap_or_else(|_| bad(key)),
            "--mode" => o.bulk_mode = val.clone(),
            "--pid" => o.pid = Some(val.parse().unwrap_or_else(|_| bad(key))),
            "--settle" => o.settle = val.parse().unwrap_or_else(|_| bad(key)),
            "--batch" => o.batch = val.parse().unwrap_or_else(|_| bad(key)),
            _ => {
                eprintln!("unknown option {key}");
                usage()
            }
        }
        i += 2;
    }
    if o.size == 0 || o.conns == 0 || o.inflight == 0 || o.loops == 0 || o.threads == 0 || o.batch == 0 {
        eprintln!("size, conns, inflight, loops, threads and batch must be > 0");
        usage()
    }
    let client = !o.mode.starts_with("server-");
    if client && o.port == 0 {
        eprintln!("--port is required for client modes");
        usage()
    }
    o
}

// ---------------------------------------------------------------------------
// CPU accounting of another process (the server under test)

/// USER_HZ; 100 on every mainstream Linux architecture.
const CLK_TCK: u64 = 100;

/// utime + stime of a whole process (all threads, plus threads that already
/// exited), in microseconds. Resolution: one clock tick (10 ms).
fn proc_stat_cpu_us(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // comm may contain spaces and parentheses: fields resume after the last ')'.
    let rest = &s[s.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); utime = field 14, stime = field 15.
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) * 1_000_000 / CLK_TCK)
}

/// On-CPU time of every live thread, in nanoseconds (/proc/PID/task/*/schedstat).
fn proc_thread_runtimes(pid: u32) -> Option<Vec<(u32, u64)>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let e = e.ok()?;
        let tid: u32 = match e.file_name().to_str().and_then(|s| s.parse().ok()) {
            Some(t) => t,
            None => continue,
        };
        // A thread may exit between read_dir and this read: skip it.
        if let Ok(s) = std::fs::read_to_string(e.path().join("schedstat")) {
            if let Some(ns) = s.split_whitespace().next().and_then(|v| v.parse().ok()) {
                out.push((tid, ns));
            }
        }
    }
    Some(out)
}

struct CpuSample {
    stat_us: Option<u64>,
    threads: Option<Vec<(u32, u64)>>,
}

fn sample_cpu(pid: u32) -> CpuSample {
    CpuSample { stat_us: proc_stat_cpu_us(pid), threads: proc_thread_runtimes(pid) }
}

/// CPU time used between two samples, in microseconds. Exact (ns) from the
/// per-thread runtimes when no thread that existed at the start has exited;
/// otherwise falls back to the tick-resolution process total.
fn cpu_delta_us(a: &CpuSample, b: &CpuSample) -> Option<(u64, &'static str)> {
    if let (Some(ta), Some(tb)) = (&a.threads, &b.threads) {
        let all_alive = ta.iter().all(|(tid, _)| tb.iter().any(|(t, _)| t == tid));
        if all_alive && !tb.is_empty() {
            let before: u64 = ta.iter().map(|(_, ns)| ns).sum();
            let after: u64 = tb.iter().map(|(_, ns)| ns).sum();
            return Some((after.saturating_sub(before) / 1000, "schedstat"));
        }
    }
    match (a.stat_us, b.stat_us) {
        (Some(x), Some(y)) => Some((y.saturating_sub(x), "stat")),
        _ => None,
    }
}

struct CpuProbe {
    pid: Option<u32>,
    start: Option<CpuSample>,
}

impl CpuProbe {
    fn start(pid: Option<u32>) -> Self {
        CpuProbe { pid, start: pid.map(sample_cpu) }
    }
    /// JSON fragment `,"cpu_us":N,"cpu_src":"..."` (or empty when no pid was given).
    fn finish_json(&self) -> String {
        match (self.pid, &self.start) {
            (Some(pid), Some(a)) => match cpu_delta_us(a, &sample_cpu(pid)) {
                Some((us, src)) => format!(",\"cpu_us\":{us},\"cpu_src\":\"{src}\""),
                None => ",\"cpu_us\":null,\"cpu_error\":\"cannot read /proc/PID/stat\"".into(),
            },
            _ => String::new(),
        }
    }
}

/// VmRSS of a process in bytes, from /proc/PID/status.
fn proc_rss_bytes(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line["VmRSS:".len()..].trim().strip_suffix("kB")?.trim().parse().ok()?;
    Some(kb * 1024)
}

/// This process's soft limit on open files (None: unlimited or unreadable).
fn open_files_limit() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = s.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

// ---------------------------------------------------------------------------
// helpers

fn die(mode: &str, msg: impl std::fmt::Display) -> ! {
    let m = msg.to_string().replace('\\', "\\\\").replace('"', "\\\"");
    println!("{{\"mode\":\"{mode}\",\"ok\":false,\"error\":\"{m}\"}}");
    eprintln!("loadgen {mode}: {msg}");
    std::process::exit(1);
}

async fn connect(o: &Opts) -> io::Result<TcpStream> {
    let s = TcpStream::connect((o.host.as_str(), o.port)).await?;
    s.set_nodelay(true)?;
    Ok(s)
}

fn eof(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, format!("server closed the connection {what}"))
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[idx.min(sorted.len() - 1)] as f64
}

fn fmt_f(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3}")
    } else {
        "null".into()
    }
}

// ---------------------------------------------------------------------------
// client modes

async fn pingpong(o: Opts) {
    let mut s = connect(&o).await.unwrap_or_else(|e| die(&o.mode, format!("connect: {e}")));
    let msg = vec![b'p'; o.size];
    let mut buf = vec![0u8; o.size];
    let begin = Instant::now();
    let warm_end = begin + Duration::from_secs_f64(o.warmup);
    let end = warm_end + Duration::from_secs_f64(o.secs);
    let mut lat_ns: Vec<u64> = Vec::with_capacity(1 << 20);
    let mut window: Option<(Instant, CpuProbe)> = None;
    loop {
        let t = Instant::now();
        if t >= end {
            break;
        }
        if window.is_none() && t >= warm_end {
            window = Some((t, CpuProbe::start(o.cpu_pid)));
        }
        let r: io::Result<()> = async {
            s.write_all(&msg).await?;
            // Read exactly `size` bytes: never more, so responses are not mixed up.
            s.read_exact(&mut buf).await.map_err(|e| {
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    eof("mid-reply")
                } else {
                    e
                }
            })?;
            Ok(())
        }
        .await;
        if let Err(e) = r {
            die(&o.mode, e);
        }
        if window.is_some() {
            lat_ns.push(t.elapsed().as_nanos() as u64);
        }
    }
    let (t0, cpu) = window.unwrap_or_else(|| (Instant::now(), CpuProbe::start(None)));
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu_json = cpu.finish_json();
    lat_ns.sort_unstable();
    let ops = lat_ns.len() as u64;
    println!(
        "{{\"mode\":\"pingpong\",\"ok\":true,\"ops\":{ops},\"secs\":{},\"ops_per_sec\":{},\"p50_us\":{},\"p99_us\":{},\"size\":{}{cpu_json}}}",
        fmt_f(elapsed),
        fmt_f(ops as f64 / elapsed),
        fmt_f(percentile(&lat_ns, 50.0) / 1000.0),
        fmt_f(percentile(&lat_ns, 99.0) / 1000.0),
        o.size
    );
}

type ErrSlot = Arc<Mutex<Option<String>>>;

fn record_err(slot: &ErrSlot, e: impl std::fmt::Display) {
    let mut g = slot.lock().unwrap();
    if g.is_none() {
        *g = Some(e.to_string());
    }
}

async fn echo_conn(o: Arc<Opts>, count: Arc<AtomicU64>, stop: Arc<AtomicBool>) -> io::Result<()> {
    let mut s = connect(&o).await?;
    let size = o.size as u64;
    let burst = vec![b'e'; o.size * o.inflight];
    s.write_all(&burst).await?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut received: u64 = 0;
    let mut completed: u64 = 0;
    loop {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            if stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            return Err(eof("during echo"));
        }
        received += n as u64;
        let done = received / size;
        let newly = done - completed;
        completed = done;
        if newly > 0 {
            count.fetch_add(newly, Ordering::Relaxed);
            if stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            // Never more than `inflight` outstanding, so `newly <= inflight`.
            let k = (newly as usize).min(o.inflight);
            s.write_all(&burst[..k * o.size]).await?;
        }
    }
}

async fn echo(o: Opts) {
    let o = Arc::new(o);
    let count = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let err: ErrSlot = Arc::new(Mutex::new(None));
    for _ in 0..o.conns {
        let (o2, c2, s2, e2) = (o.clone(), count.clone(), stop.clone(), err.clone());
        tokio::spawn(async move {
            if let Err(e) = echo_conn(o2, c2, s2.clone()).await {
                if !s2.load(Ordering::Relaxed) {
                    record_err(&e2, e);
                }
            }
        });
    }
    timed_window(&o, &count, &stop, &err, "messages", "msgs_per_sec").await;
}

async fn connect_loop(
    o: Arc<Opts>,
    count: Arc<AtomicU64>,
    errors: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    err: ErrSlot,
) {
    let mut b = [0u8; 1];
    while !stop.load(Ordering::Relaxed) {
        let r: io::Result<()> = async {
            let mut s = connect(&o).await?;
            s.write_all(b"c").await?;
            let n = s.read(&mut b).await?;
            if n != 1 {
                return Err(eof("before echoing the byte"));
            }
            Ok(())
            // `s` dropped here: close.
        }
        .await;
        match r {
            Ok(()) => {
                count.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                errors.fetch_add(1, Ordering::Relaxed);
                record_err(&err, e);
                // e.g. ephemeral port exhaustion: back off a little.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

async fn connect_mode(o: Opts) {
    let o = Arc::new(o);
    let count = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let err: ErrSlot = Arc::new(Mutex::new(None));
    for _ in 0..o.loops {
        tokio::spawn(connect_loop(o.clone(), count.clone(), errors.clone(), stop.clone(), err.clone()));
    }
    tokio::time::sleep(Duration::from_secs_f64(o.warmup)).await;
    let (c0, e0) = (count.load(Ordering::Relaxed), errors.load(Ordering::Relaxed));
    let cpu = CpuProbe::start(o.cpu_pid);
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(o.secs)).await;
    let (c1, e1) = (count.load(Ordering::Relaxed), errors.load(Ordering::Relaxed));
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu_json = cpu.finish_json();
    stop.store(true, Ordering::Relaxed);
    let n = c1 - c0;
    let nerr = e1 - e0;
    if n == 0 {
        let e = err.lock().unwrap().clone().unwrap_or_else(|| "no connection completed".into());
        die(&o.mode, e);
    }
    let last = err.lock().unwrap().clone();
    let last = last
        .map(|e| format!(",\"last_error\":\"{}\"", e.replace('\\', "\\\\").replace('"', "\\\"")))
        .unwrap_or_default();
    println!(
        "{{\"mode\":\"connect\",\"ok\":true,\"connections\":{n},\"errors\":{nerr},\"secs\":{},\"conns_per_sec\":{},\"loops\":{}{cpu_json}{last}}}",
        fmt_f(elapsed),
        fmt_f(n as f64 / elapsed),
        o.loops
    );
}

/// A timed mode's measured window: warm-up, then `secs` with the server's CPU time sampled.
/// `snapshot` reads the counters at both ends; `measuring`, if given, is set for the window
/// only. Dies on an error a worker recorded; tells the workers to stop. Returns the two
/// snapshots, the window's length in seconds and the CPU JSON fragment.
async fn measure<S>(
    o: &Opts,
    err: &ErrSlot,
    stop: &AtomicBool,
    measuring: Option<&AtomicBool>,
    snapshot: impl Fn() -> S,
) -> (S, S, f64, String) {
    let check = || {
        if let Some(e) = err.lock().unwrap().clone() {
            die(&o.mode, e);
        }
    };
    tokio::time::sleep(Duration::from_secs_f64(o.warmup)).await;
    check();
    let start = snapshot();
    if let Some(m) = measuring {
        m.store(true, Ordering::Relaxed);
    }
    let cpu = CpuProbe::start(o.cpu_pid);
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(o.secs)).await;
    if let Some(m) = measuring {
        m.store(false, Ordering::Relaxed);
    }
    let end = snapshot();
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu_json = cpu.finish_json();
    stop.store(true, Ordering::Relaxed);
    check();
    (start, end, elapsed, cpu_json)
}

/// Warm-up, then measure `count` over `secs`; print the JSON line.
async fn timed_window(o: &Opts, count: &AtomicU64, stop: &AtomicBool, err: &ErrSlot, what: &str, rate: &str) {
    let (c0, c1, elapsed, cpu_json) = measure(o, err, stop, None, || count.load(Ordering::Relaxed)).await;
    let n = c1 - c0;
    println!(
        "{{\"mode\":\"{}\",\"ok\":true,\"{what}\":{n},\"secs\":{},\"{rate}\":{},\"conns\":{},\"size\":{},\"inflight\":{}{cpu_json}}}",
        o.mode,
        fmt_f(elapsed),
        fmt_f(n as f64 / elapsed),
        o.conns,
        o.size,
        o.inflight
    );
}

// ---------------------------------------------------------------------------
// http: keep-alive HTTP/1.1 GETs, one request in flight per connection (like wrk)

const HTTP_REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
/// A response head larger than this is an error.
const HTTP_MAX_HEAD: usize = 64 * 1024;

struct HttpHead {
    status: u16,
    body_len: usize,
    close: bool,
}

fn bad_http(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Parses a response head: status line and headers, without the final CRLF CRLF.
/// The body length must be given by Content-Length (chunked is not supported).
fn parse_http_head(head: &[u8]) -> io::Result<HttpHead> {
    let text = std::str::from_utf8(head).map_err(|_| bad_http("response head is not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let status: u16 = match (version, parts.next().and_then(|c| c.parse().ok())) {
        ("HTTP/1.1" | "HTTP/1.0", Some(c)) if (200..600).contains(&c) => c,
        _ => return Err(bad_http(format!("bad or unexpected status line {status_line:?}"))),
    };
    let mut content_length: Option<usize> = None;
    let mut chunked = false;
    let mut close = version == "HTTP/1.0";
    for line in lines {
        let (name, value) = line.split_once(':').ok_or_else(|| bad_http(format!("bad header line {line:?}")))?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            let n = value.parse().map_err(|_| bad_http(format!("bad Content-Length {value:?}")))?;
            if content_length.is_some_and(|m| m != n) {
                return Err(bad_http("conflicting Content-Length headers"));
            }
            content_length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = true;
        } else if name.eq_ignore_ascii_case("connection") {
            for t in value.split(',').map(str::trim) {
                if t.eq_ignore_ascii_case("close") {
                    close = true;
                } else if t.eq_ignore_ascii_case("keep-alive") {
                    close = false;
                }
            }
        }
    }
    let body_len = if status == 204 || status == 304 {
        0
    } else if chunked {
        return Err(bad_http(format!(
            "status {status} response with Transfer-Encoding is not supported (the server must set Content-Length)"
        )));
    } else {
        content_length.ok_or_else(|| bad_http(format!("status {status} response without Content-Length")))?
    };
    Ok(HttpHead { status, body_len, close })
}

/// Reads exactly one response into `buf` (cleared first) and returns its head.
/// Bytes beyond the response are an error: only one request is in flight.
async fn read_http_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<HttpHead> {
    buf.clear();
    let mut scanned = 0;
    let mut parsed: Option<(HttpHead, usize)> = None;
    loop {
        if parsed.is_none() {
            match buf[scanned..].windows(4).position(|w| w == b"\r\n\r\n") {
                Some(i) => {
                    let end = scanned + i;
                    let head = parse_http_head(&buf[..end])?;
                    let total = end + 4 + head.body_len;
                    parsed = Some((head, total));
                }
                None if buf.len() > HTTP_MAX_HEAD => return Err(bad_http("response head larger than 64 KiB")),
                None => scanned = buf.len().saturating_sub(3),
            }
        }
        if let Some((_, total)) = parsed {
            if buf.len() > total {
                return Err(bad_http(format!("{} unexpected bytes after a response", buf.len() - total)));
            }
            if buf.len() == total {
                return Ok(parsed.take().map(|(h, _)| h).unwrap());
            }
        }
        buf.reserve(16 * 1024);
        if s.read_buf(buf).await? == 0 {
            return Err(eof(if buf.is_empty() { "instead of responding" } else { "mid-response" }));
        }
    }
}

#[derive(Default)]
struct HttpStats {
    requests: AtomicU64,
    errors: AtomicU64,
    /// The status of the first non-200 response (0: none yet).
    error_status: AtomicU64,
    reconnects: AtomicU64,
    measuring: AtomicBool,
    stop: AtomicBool,
    lat_ns: Mutex<Vec<u64>>,
}

async fn http_conn(o: Arc<Opts>, st: Arc<HttpStats>) -> io::Result<()> {
    let mut buf = Vec::with_capacity(16 * 1024);
    // A response with Connection: close ends the connection: open a new one.
    loop {
        let mut s = connect(&o).await?;
        loop {
            if st.stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            let t = Instant::now();
            s.write_all(HTTP_REQUEST).await?;
            let head = read_http_response(&mut s, &mut buf).await?;
            let ns = t.elapsed().as_nanos() as u64;
            st.requests.fetch_add(1, Ordering::Relaxed);
            if head.status != 200 {
                st.errors.fetch_add(1, Ordering::Relaxed);
                let _ = st.error_status.compare_exchange(0, head.status as u64, Ordering::Relaxed, Ordering::Relaxed);
            }
            if st.measuring.load(Ordering::Relaxed) {
                st.lat_ns.lock().unwrap().push(ns);
            }
            if head.close {
                st.reconnects.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
    }
}

async fn http_mode(o: Opts) {
    let o = Arc::new(o);
    let st = Arc::new(HttpStats::default());
    let err: ErrSlot = Arc::new(Mutex::new(None));
    for _ in 0..o.conns {
        let (o2, st2, e2) = (o.clone(), st.clone(), err.clone());
        tokio::spawn(async move {
            if let Err(e) = http_conn(o2, st2.clone()).await {
                if !st2.stop.load(Ordering::Relaxed) {
                    record_err(&e2, e);
                }
            }
        });
    }
    let counts = || {
        (st.requests.load(Ordering::Relaxed), st.errors.load(Ordering::Relaxed), st.reconnects.load(Ordering::Relaxed))
    };
    let ((r0, e0, c0), (r1, e1, c1), elapsed, cpu_json) =
        measure(&o, &err, &st.stop, Some(&st.measuring), counts).await;
    let n = r1 - r0;
    if n == 0 {
        die(&o.mode, "no response completed in the measured window");
    }
    let mut lat_ns = std::mem::take(&mut *st.lat_ns.lock().unwrap());
    lat_ns.sort_unstable();
    let status = match st.error_status.load(Ordering::Relaxed) {
        0 => String::new(),
        s => format!(",\"error_status\":{s}"),
    };
    println!(
        "{{\"mode\":\"http\",\"ok\":true,\"requests\":{n},\"errors\":{},\"secs\":{},\"reqs_per_sec\":{},\"p50_us\":{},\"p99_us\":{},\"conns\":{},\"reconnects\":{}{status}{cpu_json}}}",
        e1 - e0,
        fmt_f(elapsed),
        fmt_f(n as f64 / elapsed),
        fmt_f(percentile(&lat_ns, 50.0) / 1000.0),
        fmt_f(percentile(&lat_ns, 99.0) / 1000.0),
        o.conns,
        c1 - c0
    );
}

const CHUNK: usize = 256 * 1024;

async fn bulk_recv(o: Opts) {
    let cpu = CpuProbe::start(o.cpu_pid);
    let t0 = Instant::now();
    let r: io::Result<u64> = async {
        let mut s = connect(&o).await?;
        let mut buf = vec![0u8; CHUNK];
        let mut total: u64 = 0;
        loop {
            let n = s.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            total += n as u64;
        }
        Ok(total)
    }
    .await;
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu_json = cpu.finish_json();
    let total = r.unwrap_or_else(|e| die(&o.mode, e));
    if total != o.bytes {
        die(&o.mode, format!("byte count mismatch: expected {}, received {total}", o.bytes));
    }
    println!(
        "{{\"mode\":\"bulk-recv\",\"ok\":true,\"bytes\":{total},\"secs\":{},\"gb_per_sec\":{}{cpu_json}}}",
        fmt_f(elapsed),
        fmt_f(total as f64 / elapsed / 1e9)
    );
}

async fn bulk_send(o: Opts) {
    let cpu = CpuProbe::start(o.cpu_pid);
    let t0 = Instant::now();
    let r: io::Result<Option<u64>> = async {
        let mut s = connect(&o).await?;
        let buf = vec![b's'; CHUNK];
        let mut left = o.bytes;
        while left > 0 {
            let k = (left as usize).min(CHUNK);
            s.write_all(&buf[..k]).await?;
            left -= k as u64;
        }
        s.shutdown().await?;
        // Acknowledgement: 8 bytes (little-endian byte count), or just a close.
        let mut ack = [0u8; 8];
        let mut got = 0;
        while got < 8 {
            let n = s.read(&mut ack[got..]).await?;
            if n == 0 {
                break;
            }
            got += n;
        }
        Ok(if got == 8 { Some(u64::from_le_bytes(ack)) } else { None })
    }
    .await;
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu_json = cpu.finish_json();
    let ack = r.unwrap_or_else(|e| die(&o.mode, e));
    if let Some(n) = ack {
        if n != o.bytes {
            die(&o.mode, format!("server acknowledged {n} bytes, sent {}", o.bytes));
        }
    }
    println!(
        "{{\"mode\":\"bulk-send\",\"ok\":true,\"bytes\":{},\"acked\":{},\"secs\":{},\"gb_per_sec\":{}{cpu_json}}}",
        o.bytes,
        ack.is_some(),
        fmt_f(elapsed),
        fmt_f(o.bytes as f64 / elapsed / 1e9)
    );
}

// ---------------------------------------------------------------------------
// idle-memory: RSS of the server per idle open connection

/// Connects and has the server echo one byte, so the connection is accepted
/// and set up on the server side by the time this returns.
async fn idle_conn(o: Arc<Opts>) -> io::Result<TcpStream> {
    let mut s = connect(&o).await?;
    s.write_all(b"i").await?;
    let mut b = [0u8; 1];
    if s.read(&mut b).await? != 1 {
        return Err(eof("before echoing the byte"));
    }
    Ok(s)
}

async fn idle_memory(o: Opts) {
    let pid = o.pid.or(o.cpu_pid).unwrap_or_else(|| die(&o.mode, "--pid (or --cpu-pid) is required"));
    if let Some(limit) = open_files_limit() {
        if limit < o.conns as u64 + 64 {
            die(
                &o.mode,
                format!("open files limit is {limit}, {} connections need {}: raise ulimit -n", o.conns, o.conns + 64),
            );
        }
    }
    let o = Arc::new(o);
    let rss = |when: &str| {
        proc_rss_bytes(pid)
            .unwrap_or_else(|| die(&o.mode, format!("cannot read VmRSS of {pid} {when} (has the server exited?)")))
    };
    // One connection first, kept open and not counted: the one-off costs of a
    // first connection (lazy initialisation, code paths compiled) are not per connection.
    let first = idle_conn(o.clone()).await.unwrap_or_else(|e| die(&o.mode, format!("first connection: {e}")));
    tokio::time::sleep(Duration::from_secs_f64(o.settle)).await;
    let before = rss("before connecting");
    let cpu = CpuProbe::start(Some(pid));
    let t0 = Instant::now();
    let mut conns = Vec::with_capacity(o.conns);
    // In batches, so the listen backlog (511 by default) never overflows.
    while conns.len() < o.conns {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..(o.conns - conns.len()).min(o.batch) {
            set.spawn(idle_conn(o.clone()));
        }
        loop {
            match tokio::time::timeout(Duration::from_secs(30), set.join_next()).await {
                Ok(None) => break,
                Ok(Some(Ok(Ok(s)))) => conns.push(s),
                Ok(Some(Ok(Err(e)))) => die(&o.mode, format!("connection {} of {}: {e}", conns.len() + 1, o.conns)),
                Ok(Some(Err(e))) => die(&o.mode, format!("connection task: {e}")),
                Err(_) => die(
                    &o.mode,
                    format!("stalled: {} of {} connections set up, none in the last 30 s", conns.len(), o.conns),
                ),
            }
        }
    }
    let open_secs = t0.elapsed().as_secs_f64();
    let cpu_json = cpu.finish_json();
    tokio::time::sleep(Duration::from_secs_f64(o.settle)).await;
    let after = rss("after connecting");
    let n = conns.len();
    println!(
        "{{\"mode\":\"idle-memory\",\"ok\":true,\"conns\":{n},\"rss_before\":{before},\"rss_after\":{after},\"bytes_per_conn\":{},\"open_secs\":{}{cpu_json}}}",
        fmt_f((after as f64 - before as f64) / n as f64),
        fmt_f(open_secs)
    );
    drop(conns);
    drop(first);
}

// ---------------------------------------------------------------------------
// native servers

async fn listen(o: &Opts) -> TcpListener {
    let l = TcpListener::bind((o.host.as_str(), o.port)).await.unwrap_or_else(|e| die(&o.mode, format!("listen: {e}")));
    let port = l.local_addr().map(|a| a.port()).unwrap_or(0);
    println!("{{\"port\":{port}}}");
    l
}

async fn echo_session(mut s: TcpStream) -> io::Result<()> {
    s.set_nodelay(true)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            s.shutdown().await?;
            return Ok(());
        }
        s.write_all(&buf[..n]).await?;
    }
}

async fn server_echo(o: Opts) {
    let l = listen(&o).await;
    loop {
        match l.accept().await {
            Ok((s, _)) => {
                tokio::spawn(async move {
                    let _ = echo_session(s).await;
                });
            }
            Err(e) => {
                eprintln!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

async fn source_session(mut s: TcpStream, bytes: u64) -> io::Result<()> {
    s.set_nodelay(true)?;
    let buf = vec![b'b'; CHUNK];
    let mut left = bytes;
    while left > 0 {
        let k = (left as usize).min(CHUNK);
        s.write_all(&buf[..k]).await?;
        left -= k as u64;
    }
    s.shutdown().await?;
    // Drain until the peer closes so our close never turns into a reset.
    let mut sink = [0u8; 4096];
    while s.read(&mut sink).await? > 0 {}
    Ok(())
}

async fn sink_session(mut s: TcpStream) -> io::Result<()> {
    s.set_nodelay(true)?;
    let mut buf = vec![0u8; CHUNK];
    let mut total: u64 = 0;
    loop {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    s.write_all(&total.to_le_bytes()).await?;
    s.shutdown().await?;
    Ok(())
}

async fn server_bulk(o: Opts) {
    let source = match o.bulk_mode.as_str() {
        "source" => true,
        "sink" => false,
        m => die(&o.mode, format!("--mode must be source or sink, not {m}")),
    };
    let l = listen(&o).await;
    loop {
        match l.accept().await {
            Ok((s, _)) => {
                let bytes = o.bytes;
                tokio::spawn(async move {
                    let r = if source { source_session(s, bytes).await } else { sink_session(s).await };
                    if let Err(e) = r {
                        eprintln!("server-bulk session: {e}");
                    }
                });
            }
            Err(e) => {
                eprintln!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

// ---------------------------------------------------------------------------

fn main() {
    let o = parse_args();
    let rt = if o.threads == 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(o.threads).enable_all().build()
    }
    .expect("tokio runtime");
    rt.block_on(async move {
        match o.mode.as_str() {
            "pingpong" => pingpong(o).await,
            "echo" | "echo-small" => echo(o).await,
            "connect" => connect_mode(o).await,
            "http" => http_mode(o).await,
            "idle-memory" => idle_memory(o).await,
            "bulk-recv" => bulk_recv(o).await,
            "bulk-send" => bulk_send(o).await,
            "server-echo" => server_echo(o).await,
            "server-bulk" => server_bulk(o).await,
            _ => usage(),
        }
    });
    // Do not wait for still-running connection tasks.
    std::process::exit(0);
}
