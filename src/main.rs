//! `portier`: parse the command line, set up logging, run the subcommand.

use std::process::ExitCode;

use clap::Parser;
use portier::config::{Cli, Command};
use portier::{commands, telemetry};

/// A check allocates many small values and frees them within microseconds; mimalloc's
/// thread-local free lists serve that pattern in a fraction of the system allocator's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    let outcome = match cli.command {
        Command::Serve(args) => commands::serve(args).await.map(|()| true),
        Command::Validate(args) => commands::validate(&args).map(|()| true),
        Command::Test(args) => commands::test(&args),
        Command::Check(args) => commands::check(args).await.map(|()| true),
        Command::Migrate(args) => commands::migrate(args).await.map(|()| true),
        Command::Copy(args) => commands::copy(args).await.map(|()| true),
        Command::Backup(args) => commands::backup(args).await.map(|()| true),
        Command::Restore(args) => commands::restore(args).await.map(|()| true),
        Command::Import(args) => commands::import(args).await,
        Command::Verify(args) => portier::assurance::verify::run(&args.options()).await,
        Command::Diff(args) => portier::assurance::diff_command::run(&args.options()).await,
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("portier: {}", reasons(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, `: `-separated, each said once: some errors (sqlx's) repeat
/// their cause's text in their own, which `{:#}` would print twice.
fn reasons(err: &anyhow::Error) -> String {
    let mut said: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if said.last().is_some_and(|last| last.ends_with(&text)) {
            continue;
        }
        said.push(text);
    }
    said.join(": ")
}
