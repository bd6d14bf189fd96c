//! Writing to stdout and stderr without panicking (a closed pipe, `| head`, is not an error
//! worth a panic).

use std::io::Write;

/// Writes `text` and a newline to stdout.
pub fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes());
    let _ = o.write_all(b"\n");
    let _ = o.flush();
}

/// Writes `text` and a newline to stderr.
pub fn err(text: &str) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(text.as_bytes());
    let _ = e.write_all(b"\n");
    let _ = e.flush();
}
