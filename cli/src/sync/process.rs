//! Who this run is, and whether another run is still alive: the identity written into leases
//! and staging directory names, so that a run on the same machine can tell at once that the
//! holder was killed instead of waiting for its lease to expire.

use std::sync::OnceLock;

/// `<host>.<pid>.<start>.<random>`: unique per run; host, pid and process start time tell, on
/// the same machine, whether the run still lives.
pub fn run_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let pid = std::process::id();
        format!(
            "{}.{pid}.{}.{}",
            host(),
            start_ticks(pid).unwrap_or(0),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        )
    })
}

/// The machine's name, made safe for a file name.
pub fn host() -> String {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::env::var("HOSTNAME"))
        .or_else(|_| std::env::var("COMPUTERNAME"))
        .unwrap_or_default();
    let clean: String = raw
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if clean.is_empty() {
        "host".into()
    } else {
        clean
    }
}

/// When process `pid` started, in clock ticks since boot (Linux); `None` when it does not run
/// or this cannot be known.
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields follow the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(19)?.parse().ok()
}

/// Whether the run `id` (from [`run_id`]) is over: it ran on this machine and its process is
/// gone (or is another process with the same pid), or `stale` says so for another machine's.
pub fn run_is_over(id: &str, stale: bool) -> bool {
    let mut parts = id.split('.');
    let (Some(host_part), Some(pid), Some(start)) = (parts.next(), parts.next(), parts.next())
    else {
        return stale;
    };
    if host_part != host() {
        return stale;
    }
    let (Ok(pid), Ok(start)) = (pid.parse::<u32>(), start.parse::<u64>()) else {
        return stale;
    };
    if !cfg!(target_os = "linux") {
        return stale;
    }
    match start_ticks(pid) {
        None => true,
        Some(t) => start != 0 && t != start,
    }
}

/// Test hook for crash tests: `TICKSUPPLY_SYNC_STOP_AT=<point>[:<n>]` stops the process (SIGSTOP,
/// as a debugger would) the `n`-th time (default 1st) it reaches `point`, so that a test can
/// `kill -9` it exactly there. Points: `export_created`, `export_recorded`, `file_staged`,
/// `file_published`, `state_recorded`. Without the variable this does nothing.
pub fn stop_point(point: &str) {
    static SPEC: OnceLock<Option<(String, u64)>> = OnceLock::new();
    static SEEN: std::sync::Mutex<u64> = std::sync::Mutex::new(0);
    let spec = SPEC.get_or_init(|| {
        let v = std::env::var("TICKSUPPLY_SYNC_STOP_AT").ok()?;
        let (name, n) = match v.split_once(':') {
            Some((name, n)) => (name.to_string(), n.parse().ok()?),
            None => (v, 1),
        };
        Some((name, n))
    });
    let Some((name, n)) = spec else { return };
    if name != point {
        return;
    }
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    *seen += 1;
    if *seen == *n {
        crate::output::err(&format!("stopped at {point} (TICKSUPPLY_SYNC_STOP_AT)"));
        #[cfg(unix)]
        // SAFETY: raise() with a valid signal number has no memory-safety preconditions.
        unsafe {
            libc::raise(libc::SIGSTOP);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_run_lives_and_a_dead_pid_is_over() {
        assert!(!run_is_over(run_id(), false));
        let h = host();
        // pid 0x7ffffff0 does not exist.
        assert_eq!(
            run_is_over(&format!("{h}.2147483632.1.abcd"), false),
            cfg!(target_os = "linux")
        );
        assert!(!run_is_over("otherhost.1.1.abcd", false));
        assert!(run_is_over("otherhost.1.1.abcd", true));
        assert!(!run_is_over("garbage", false));
    }
}
