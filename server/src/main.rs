//! The `jiuzhu` command. Thin on purpose: see `cli.rs`.

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
