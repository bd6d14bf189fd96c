//! One tokio runtime per process, rebuilt in a forked child (a runtime does not survive fork:
//! its threads are gone and its epoll is shared with the parent).
//!
//! Its worker drives every connection, also between calls, so a connection the server closed
//! is noticed while idle. (Driving blocking calls on the calling thread instead, with a
//! current-thread runtime, saved CPU but was no faster end to end, and left idle connections
//! unwatched.)

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::{Builder, Handle, Runtime};

/// Bumped in the child after every fork, so per-process state can tell it was inherited
/// without a `getpid` system call on every request.
static FORKS: AtomicU64 = AtomicU64::new(0);

extern "C" fn after_fork_in_child() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

/// Registers the fork hook; called once when the module loads.
pub fn watch_forks() {
    // SAFETY: the handler only increments an atomic, which is async-signal-safe.
    unsafe {
        libc::pthread_atfork(None, None, Some(after_fork_in_child));
    }
}

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

/// Runs `fut` to completion with the GIL released, checking for signals every 100 ms so Ctrl-C
/// interrupts a slow call (the request is dropped).
pub fn block_on_interruptible<T: Send + 'static>(
    py: Python<'_>,
    fut: impl Future<Output = T> + Send + 'static,
) -> PyResult<T> {
    let h = handle();
    py.detach(move || {
        h.block_on(async move {
            tokio::pin!(fut);
            loop {
                tokio::select! {
                    out = &mut fut => return Ok(out),
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {
                        Python::attach(|py| py.check_signals())?;
                    }
                }
            }
        })
    })
}
