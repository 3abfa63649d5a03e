mod huge_alloc;

#[global_allocator]
static ALLOC: huge_alloc::HugeAlloc = huge_alloc::HugeAlloc;

fn main() {
    std::process::exit(reprise::cli::main());
}
