//! One tokio runtime per process, rebuilt in a forked child (a runtime does not survive fork:
//! its threads are gone and its epoll is shared with the parent).
//!
//! Its worker drives every connection, also between calls, so a connection the server closed
//! is noticed while idle; a blocking call polls its own future on the calling thread and
//! waits for the worker's wake-ups (spinning briefly first, see [`SPIN`]). Driving blocking
//! calls on the calling thread instead, with a current-thread runtime, saved CPU but was no
//! faster end to end, and left idle connections unwatched.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use tokio::runtime::{Builder, Handle, Runtime};

/// Bumped in the child after every fork, so per-process state can tell it was inherited
/// without a `getpid` system call on every request.
static FORKS: AtomicU64 = AtomicU64::new(0);

#[cfg(unix)]
extern "C" fn after_fork_in_child() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

/// Registers the fork hook; called once when the module loads.
#[cfg(unix)]
pub fn watch_forks() {
    // SAFETY: the handler only increments an atomic, which is async-signal-safe.
    unsafe {
        libc::pthread_atfork(None, None, Some(after_fork_in_child));
    }
}

/// Windows has no `fork`: the generation never changes.
#[cfg(not(unix))]
pub fn watch_forks() {}

/// Which process (fork generation) the current state belongs to.
pub fn generation() -> u64 {
    FORKS.load(Ordering::Relaxed)
}

/// The runtime and the fork generation it was built in.
static RUNTIME: Mutex<Option<(u64, &'static Runtime)>> = Mutex::new(None);

pub fn handle() -> Handle {
    let mut slot = RUNTIME.lock().unwrap_or_else(|p| p.into_inner());
    match *slot {
        Some((owner, rt)) if owner == generation() => rt.handle().clone(),
        _ => {
            // The parent's runtime (if any) is leaked on purpose: dropping it would join threads
            // that do not exist in this process.
            let rt: &'static Runtime = Box::leak(Box::new(
                Builder::new_multi_thread()
                    // One I/O worker: the calling Python threads run their own futures, and on
                    // small machines a second worker only adds wakeup hops.
                    .worker_threads(1)
                    .thread_name("ticksupply")
                    .enable_all()
                    .build()
                    .expect("tokio runtime"),
            ));
            *slot = Some((generation(), rt));
            rt.handle().clone()
        }
    }
}

/// Stops the runtime's threads at interpreter exit (registered with `atexit`, which runs before
/// finalization). Waiting matters: a worker still settling an asyncio future would otherwise
/// re-take the GIL during finalization, where CPython ends the thread with a forced unwind that
/// aborts the process.
pub fn shutdown() {
    let mut slot = RUNTIME.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((owner, rt)) = slot.take()
        && owner == generation()
    {
        // SAFETY: `rt` came from `Box::leak` in this process, and the slot no longer hands it
        // out, so this is the only owner.
        let rt: Box<Runtime> = unsafe { Box::from_raw(rt as *const Runtime as *mut Runtime) };
        rt.shutdown_timeout(Duration::from_secs(2));
    }
}

/// How long a blocked caller spins before it parks. Parking hands the CPU back; on virtual
/// machines that do not halt-poll, waking a parked thread's idle vCPU costs more than a
/// loopback round trip, and spinning this long doubled sequential calls to a local server.
const SPIN: Duration = Duration::from_micros(100);

thread_local! {
    /// Whether this thread's recent waits ended within [`SPIN`]: +1 for each that did, -2 for
    /// each that did not, clamped to -8..=8. It spins only while the score is not negative,
    /// so calls to a distant server (whose replies take milliseconds) park at once and waste
    /// no CPU.
    static SPIN_SCORE: std::cell::Cell<i8> = const { std::cell::Cell::new(0) };
}

/// The caller's waker: a flag plus an unpark.
struct Wakeup {
    ready: AtomicBool,
    thread: std::thread::Thread,
}

impl Wake for Wakeup {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.ready.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// Waits until `w` is woken: spins first when that has been paying off on this thread, then
/// parks, checking for signals every 100 ms.
fn wait(w: &Wakeup) -> PyResult<()> {
    let start = Instant::now();
    let spin = SPIN_SCORE.get() >= 0;
    while !w.ready.load(Ordering::Acquire) {
        if spin && start.elapsed() < SPIN {
            std::hint::spin_loop();
            continue;
        }
        std::thread::park_timeout(Duration::from_millis(100));
        if !w.ready.load(Ordering::Acquire) && start.elapsed() >= Duration::from_millis(100) {
            Python::attach(|py| py.check_signals())?;
        }
    }
    let hit = start.elapsed() < SPIN;
    SPIN_SCORE.set((SPIN_SCORE.get() + if hit { 1 } else { -2 }).clamp(-8, 8));
    Ok(())
}

/// Runs `fut` to completion on the calling thread with the GIL released (the runtime's worker
/// drives the connections and wakes it), checking for signals every 100 ms so Ctrl-C
/// interrupts a slow call (the request is dropped).
pub fn block_on_interruptible<T: Send + 'static>(
    py: Python<'_>,
    fut: impl Future<Output = T> + Send + 'static,
) -> PyResult<T> {
    let h = handle();
    py.detach(move || {
        let _runtime = h.enter();
        let wakeup = Arc::new(Wakeup {
            ready: AtomicBool::new(false),
            thread: std::thread::current(),
        });
        let waker = Waker::from(wakeup.clone());
        let mut cx = Context::from_waker(&waker);
        let mut fut = std::pin::pin!(fut);
        loop {
            wakeup.ready.store(false, Ordering::Relaxed);
            if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
                return Ok(out);
            }
            wait(&wakeup)?;
        }
    })
}
