fn main() {
    std::process::exit(reprise::cli::main());
}
