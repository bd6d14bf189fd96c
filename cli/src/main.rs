//! The `ticksupply` binary: everything is in the library's [`ticksupply_cli::run`].

fn main() {
    // Not `env::args()`: it panics on an argument that is not UTF-8.
    let argv = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    std::process::exit(ticksupply_cli::run(argv));
}
