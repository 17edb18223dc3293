//! The README's walk-through, run as a newcomer pastes it: every shell block marked
//! `<!-- walkthrough … -->`, in order, verbatim, in one `bash`, from the repository's root —
//! `cargo run --release -- serve &` included (so the release build must exist or be built) —
//! and each answer compared with the `# → …` line under its command (`…` stands for anything:
//! ids, instants). A command the README shows no answer for must not answer an error.
//!
//! Only the database is the test's own (`DATABASE_URL`, a fresh SQLite file), so a
//! developer's `portier.db` is never touched. The walk-through listens on 127.0.0.1:8180, as
//! the README says; the test fails at once, saying so, when that port is taken.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::common::repo_path;

/// One command of the walk-through and the answer the README shows under it, if any.
#[derive(Debug)]
struct Step {
    command: String,
    answer: Option<String>,
}

/// The marked blocks' commands, in order. A command goes on while a line ends in `\` or a
/// single quote is open; `# → …` lines under it are its answer; other comments are dropped.
fn walkthrough(readme: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let (mut marked, mut inside) = (false, false);
    let mut pending = String::new();
    for line in readme.lines() {
        if !inside {
            if line.starts_with("<!-- walkthrough") {
                marked = true;
            } else if line.starts_with("```sh") && marked {
                inside = true;
            } else if line.starts_with("```") {
                marked = false;
            }
            continue;
        }
        if line.starts_with("```") {
            assert!(
                pending.is_empty(),
                "a command runs past its block: {pending}"
            );
            (marked, inside) = (false, false);
            continue;
        }
        if pending.is_empty() {
            if let Some(answer) = line.strip_prefix("# → ") {
                let last = steps.last_mut().expect("an answer under a command");
                assert!(last.answer.is_none(), "two answers for {}", last.command);
                last.answer = Some(answer.to_owned());
                continue;
            }
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
        }
        pending.push_str(line);
        pending.push('\n');
        let open_quote = pending.matches('\'').count() % 2 == 1;
        if !open_quote && !line.ends_with('\\') {
            steps.push(Step {
                command: std::mem::take(&mut pending),
                answer: None,
            });
        }
    }
    steps
}

/// Whether `text` is `pattern`, where `…` stands for any run of characters.
fn matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('…').collect();
    let (first, rest) = parts.split_first().expect("split gives one part at least");
    let Some(mut left) = text.strip_prefix(first) else {
        return false;
    };
    for (i, part) in rest.iter().enumerate() {
        if i == rest.len() - 1 {
            return left.ends_with(part);
        }
        match left.find(part) {
            Some(at) => left = &left[at + part.len()..],
            None => return false,
        }
    }
    left.is_empty()
}

/// A `bash` fed one step at a time, each followed by a marker line carrying its exit status.
struct Shell {
    child: Child,
    lines: mpsc::Receiver<String>,
}

const MARK: &str = "\u{1f}step-done ";

impl Shell {
    fn start(database: &str) -> Shell {
        let mut child = Command::new("bash")
            .args(["--noprofile", "--norc"])
            .current_dir(repo_path("."))
            .env("DATABASE_URL", database)
            .env("RUST_LOG", "warn")
            .env_remove("PORTIER_ADMIN_TOKEN")
            .env_remove("PORTIER_CHECK_TOKEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("bash");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Shell { child, lines }
    }

    /// Runs one step: its output (trimmed) and exit status, or `None` past `limit`.
    fn run(&mut self, command: &str, limit: Duration) -> Option<(String, i32)> {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        writeln!(stdin, "{command}printf '\\n{MARK}%s\\n' \"$?\"").expect("write a step");
        stdin.flush().expect("flush");
        let deadline = std::time::Instant::now() + limit;
        let mut output = String::new();
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = self.lines.recv_timeout(left).ok()?;
            if let Some(status) = line.strip_prefix(MARK) {
                return Some((
                    output.trim().to_owned(),
                    status.trim().parse().unwrap_or(-1),
                ));
            }
            output.push_str(&line);
            output.push('\n');
        }
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        // The shell and whatever it started in the background (the server).
        let group = i32::try_from(self.child.id()).expect("a pid");
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{group}")])
            .status();
        let _ = self.child.wait();
    }
}

#[test]
fn the_readme_walkthrough_runs_as_pasted_and_answers_as_shown() {
    let readme = std::fs::read_to_string(repo_path("README.md")).unwrap();
    let steps = walkthrough(&readme);
    assert!(steps.len() > 30, "{} steps found", steps.len());
    assert!(
        std::net::TcpListener::bind("127.0.0.1:8180").is_ok(),
        "the walk-through listens on 127.0.0.1:8180, which something else holds"
    );
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("portier.db").display());
    let mut shell = Shell::start(&database);
    let mut wrong = Vec::new();
    for step in &steps {
        // Waiting for the server may include building it on a machine where it is not built.
        let limit = if step.command.contains("until ") {
            Duration::from_secs(1200)
        } else {
            Duration::from_secs(30)
        };
        let (output, status) = shell.run(&step.command, limit).unwrap_or_else(|| {
            panic!(
                "no answer within {} s to:\n{}",
                limit.as_secs(),
                step.command
            )
        });
        assert_eq!(
            status, 0,
            "exit status of:\n{}output: {output}",
            step.command
        );
        let expected = match &step.answer {
            Some(answer) => matches(answer, &output),
            None => !output.contains("\"error\""),
        };
        if !expected {
            let shown = step
                .answer
                .as_deref()
                .unwrap_or("(no answer shown: no error)");
            wrong.push(format!(
                "{}  README: {shown}\n  answer: {output}",
                step.command
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} answers differ from the README's:\n\n{}",
        wrong.len(),
        wrong.join("\n\n")
    );
}

#[test]
fn the_pattern_matches_with_ellipses_only() {
    assert!(matches(r#"{"a":1,…}"#, r#"{"a":1,"b":2}"#));
    assert!(matches(r#"{"id":"…","x":2}"#, r#"{"id":"k-1","x":2}"#));
    assert!(!matches(r#"{"a":1,…}"#, r#"{"a":2,"b":2}"#));
    assert!(!matches(r#"{"a":1}"#, r#"{"a":1} and more"#));
    assert!(matches("…", "anything"));
}

/// `(flag, env)` of every option `portier serve --help` lists (`env` empty when none).
fn serve_options() -> Vec<(String, String)> {
    let help = Command::new(env!("CARGO_BIN_EXE_portier"))
        .args(["serve", "--help"])
        .output()
        .expect("portier serve --help");
    let text = String::from_utf8(help.stdout).unwrap();
    let mut options: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("--") {
            let flag = rest.split([' ', '=']).next().unwrap_or_default();
            if flag != "help" {
                options.push((format!("--{flag}"), String::new()));
            }
        } else if let Some(env) = line.strip_prefix("[env: ") {
            let env = env
                .trim_end_matches(']')
                .split('=')
                .next()
                .unwrap_or_default();
            if let Some(last) = options.last_mut() {
                last.1 = env.to_owned();
            }
        }
    }
    options
}

#[test]
fn the_readme_lists_every_serve_flag_and_command_the_help_gives() {
    let readme = std::fs::read_to_string(repo_path("README.md")).unwrap();
    let rows: Vec<&str> = readme.lines().filter(|l| l.starts_with("| `--")).collect();
    let options = serve_options();
    assert!(options.len() > 15, "{options:?}");
    for (flag, env) in &options {
        let row = rows
            .iter()
            .find(|row| {
                row.split('|')
                    .nth(1)
                    .is_some_and(|c| c.contains(&format!("`{flag}`")))
            })
            .unwrap_or_else(|| panic!("the README's flag table lacks {flag}"));
        assert!(
            env.is_empty() || row.contains(&format!("`{env}`")),
            "the README's row for {flag} does not name {env}: {row}"
        );
    }
    for row in &rows {
        let first = row.split('|').nth(1).unwrap_or_default();
        for flag in first.split('`').filter(|part| part.starts_with("--")) {
            assert!(
                options.iter().any(|(known, _)| known == flag),
                "the README lists {flag}, which `portier serve --help` does not"
            );
        }
    }
    let help = Command::new(env!("CARGO_BIN_EXE_portier"))
        .arg("--help")
        .output()
        .expect("portier --help");
    let text = String::from_utf8(help.stdout).unwrap();
    let commands: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() >= 7, "{commands:?}");
    for command in commands {
        assert!(
            readme.contains(&format!("`portier {command}")),
            "the README never shows `portier {command}`"
        );
    }
}

/// The README's WHMCS permission table is the one the import applies.
#[test]
fn the_readme_shows_the_whmcs_permission_table_the_import_applies() {
    let readme = std::fs::read_to_string(repo_path("README.md")).expect("README.md");
    for (key, label, grant) in portier::app::import::PERMISSIONS {
        let grant = grant.map_or("none".to_owned(), |g| format!("`{g}`"));
        let row = format!("| `{key}` | {label} | {grant} |");
        assert!(readme.contains(&row), "the README lacks the row {row}");
    }
}
