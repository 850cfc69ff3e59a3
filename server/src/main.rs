//! The `jiuzhu` command. Thin on purpose: see `cli.rs`.

// glibc's allocator spent a fifth of a case-list request allocating, freeing
// and consolidating small blocks across the runtime's and SQLite's threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match server::cli::run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
