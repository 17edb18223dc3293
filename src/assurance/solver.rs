//! Finding the SMT solver the proofs run on. `cedar-policy-symcc` speaks SMT-LIB to cvc5 over
//! a pipe; Portier starts that process itself so the path can come from `--solver`,
//! `PORTIER_SOLVER`, symcc's own `CVC5` variable, or `cvc5` on the `PATH`, in that order.
//!
//! symcc's queries use the SMT-LIB logic `ALL` with strings, bit-vectors, uninterpreted
//! functions, datatypes and finite sets, and ask for models (`produce-models`). Debian's cvc5
//! 1.0.3 answers them; symcc is tested against cvc5 1.3.1. `--version` is read only to print it.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use cedar_policy_symcc::solver::LocalSolver;

/// The environment variable naming the solver; `off` turns the proofs off for the server.
pub const SOLVER_ENV: &str = "PORTIER_SOLVER";

/// How to get a solver, printed when none is found.
pub const INSTALL_HINT: &str = "install cvc5 (Debian/Ubuntu: `apt-get install cvc5`; or a cvc5 \
1.3.1 release binary from the cvc5 project) and pass its path with `--solver PATH` or \
PORTIER_SOLVER=PATH, or put `cvc5` on the PATH";

/// Most wall time one solver query may take, in milliseconds.
const QUERY_LIMIT_MS: u32 = 60_000;

/// A solver executable that answered `--version`.
#[derive(Debug, Clone)]
pub struct Solver {
    /// The executable.
    pub path: PathBuf,
    /// The first line of its `--version`.
    pub version: String,
}

/// Why no solver could be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SolverMissing {
    /// Proofs were turned off (`PORTIER_SOLVER=off`).
    #[error("proofs are turned off ({SOLVER_ENV}=off)")]
    TurnedOff,
    /// Nothing runnable was found.
    #[error("no SMT solver found ({tried}); {INSTALL_HINT}")]
    NotFound {
        /// What was tried.
        tried: String,
    },
}

impl Solver {
    /// Finds the solver: `explicit` (from `--solver`), else `PORTIER_SOLVER`, else `CVC5`,
    /// else `cvc5` on the `PATH`.
    pub fn locate(explicit: Option<&Path>) -> Result<Solver, SolverMissing> {
        let named = explicit.map(Path::to_path_buf).or_else(|| {
            std::env::var_os(SOLVER_ENV)
                .or_else(|| std::env::var_os("CVC5"))
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        if named.as_deref() == Some(Path::new("off")) {
            return Err(SolverMissing::TurnedOff);
        }
        let path = named.unwrap_or_else(|| PathBuf::from("cvc5"));
        match version_of(&path) {
            Some(version) => Ok(Solver { path, version }),
            None => Err(SolverMissing::NotFound {
                tried: format!("`{} --version` did not run", path.display()),
            }),
        }
    }

    /// Starts a fresh solver process (killed when dropped).
    pub fn start(&self) -> std::io::Result<LocalSolver> {
        let mut command = tokio::process::Command::new(&self.path);
        command
            .args(["--lang", "smt"])
            .arg(format!("--tlimit-per={QUERY_LIMIT_MS}"))
            .kill_on_drop(true);
        LocalSolver::from_command(&mut command).map_err(std::io::Error::other)
    }
}

fn version_of(path: &Path) -> Option<String> {
    let output = std::process::Command::new(path)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let first = text.lines().next()?.trim();
    (output.status.success() && !first.is_empty()).then(|| first.to_owned())
}
