#[path = "../../common/bench.rs"]
mod bench;

fn main() {
    bench::main()
}
