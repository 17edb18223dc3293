//! Counterexamples: a concrete request and entity store the solver found, shown to people as
//! a readable request with its entities, and written as a `cedar run-tests` case (the format
//! of `policies/tests/*.json`) whose expected answer is the one the invariant demands, so
//! `portier test` and `cedar run-tests` both replay it as a failing case until it is fixed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cedar_policy::{Authorizer, Decision, EvalResult, PolicySet, Request};
use cedar_policy_symcc::Env;
use serde_json::{json, Value};

/// What a replayed case expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// The set must deny it.
    Deny,
    /// The set must allow it.
    Allow,
    /// The set may decide either way, but no policy may error.
    NoErrors,
}

/// A request and entities on which the policy set breaks a promise.
#[derive(Debug, Clone)]
pub struct Counterexample {
    /// The request environment, `principal type, action, resource type`.
    pub environment: String,
    /// The request.
    pub request: Value,
    /// The entities, as in a `cedar run-tests` file.
    pub entities: Value,
    /// What the promise demands.
    pub expected: Expected,
    /// What the set answers: `allow` or `deny`.
    pub decision: &'static str,
    /// The policies that decided.
    pub reasons: Vec<String>,
    /// The policies that errored, with Cedar's message.
    pub errors: Vec<String>,
}

impl Counterexample {
    /// Evaluates the solver's `env` against `policies` and keeps what a person needs to see.
    pub fn new(env: &Env, environment: String, expected: Expected, policies: &PolicySet) -> Self {
        let response = Authorizer::new().is_authorized(&env.request, policies, &env.entities);
        let entities = env.entities.to_json_value().unwrap_or(Value::Null);
        let entities = Value::Array(
            entities
                .as_array()
                .into_iter()
                .flatten()
                .filter(|e| e.pointer("/uid/type").and_then(Value::as_str) != Some("Action"))
                .cloned()
                .collect(),
        );
        Counterexample {
            environment,
            request: request_json(&env.request),
            entities,
            expected,
            decision: match response.decision() {
                Decision::Allow => "allow",
                Decision::Deny => "deny",
            },
            reasons: response
                .diagnostics()
                .reason()
                .map(ToString::to_string)
                .collect(),
            errors: response
                .diagnostics()
                .errors()
                .map(ToString::to_string)
                .collect(),
        }
    }

    /// The `cedar run-tests` case named `name`: it passes only once the promise holds here.
    pub fn test_case(&self, name: &str) -> Value {
        let decision = match self.expected {
            Expected::Deny => "deny",
            Expected::Allow => "allow",
            Expected::NoErrors => self.decision,
        };
        json!({
            "name": name,
            "request": self.request,
            "entities": self.entities,
            "decision": decision,
            "reason": [],
            "num_errors": 0,
        })
    }

    /// Writes the case to `<dir>/counterexample-<id>.json` and returns the path.
    pub fn save(&self, dir: &Path, id: &str, name: &str) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let safe: String = id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!("counterexample-{safe}.json"));
        let text = serde_json::to_string_pretty(&json!([self.test_case(name)]))?;
        std::fs::write(&path, text + "\n")?;
        Ok(path)
    }

    /// The request and entities in a few readable lines, each starting with `indent`.
    pub fn describe(&self, indent: &str) -> String {
        let field = |name: &str| self.request[name].as_str().unwrap_or("?").to_owned();
        let mut out = format!(
            "{indent}request: {} does {} on {} (context {})\n",
            field("principal"),
            field("action"),
            field("resource"),
            self.request["context"]
        );
        let _ = writeln!(
            out,
            "{indent}answer:  {} (reasons: {}){}",
            self.decision,
            list_or_none(&self.reasons),
            if self.errors.is_empty() {
                String::new()
            } else {
                format!("; errors: {}", self.errors.join("; "))
            }
        );
        // Entities with no attribute, parent or tag (enum values such as grants) say nothing.
        let telling = self.entities.as_array().into_iter().flatten().filter(|e| {
            ["attrs", "parents", "tags"].iter().any(|k| {
                e[*k].as_object().is_some_and(|o| !o.is_empty())
                    || e[*k].as_array().is_some_and(|a| !a.is_empty())
            })
        });
        for entity in telling {
            let _ = writeln!(out, "{indent}entity:  {}", entity_line(entity));
        }
        out
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// `User::"a" in [Account::"b"] { active: true, ... } tags { "b": [...] }`.
fn entity_line(entity: &Value) -> String {
    let uid = |v: &Value| {
        format!(
            "{}::{}",
            v["type"].as_str().unwrap_or("?"),
            Value::from(v["id"].as_str().unwrap_or("?"))
        )
    };
    let mut line = uid(&entity["uid"]);
    let parents: Vec<String> = entity["parents"]
        .as_array()
        .into_iter()
        .flatten()
        .map(uid)
        .collect();
    if !parents.is_empty() {
        let _ = write!(line, " in [{}]", parents.join(", "));
    }
    if entity["attrs"].as_object().is_some_and(|a| !a.is_empty()) {
        let _ = write!(line, " {}", entity["attrs"]);
    }
    if entity["tags"].as_object().is_some_and(|t| !t.is_empty()) {
        let _ = write!(line, " tags {}", entity["tags"]);
    }
    line
}

/// The request as `cedar run-tests` writes it: uids as Cedar text, the context as JSON.
fn request_json(request: &Request) -> Value {
    let text =
        |uid: Option<&cedar_policy::EntityUid>| uid.map_or(String::new(), ToString::to_string);
    let mut context = serde_json::Map::new();
    if let Some(ctx) = request.context() {
        for (key, _) in ctx.clone() {
            if let Some(value) = ctx.get(&key) {
                context.insert(key, value_json(&value));
            }
        }
    }
    json!({
        "principal": text(request.principal()),
        "action": text(request.action()),
        "resource": text(request.resource()),
        "context": context,
    })
}

/// A Cedar value as JSON, with the `__entity` / `__extn` escapes the CLI reads.
fn value_json(value: &EvalResult) -> Value {
    match value {
        EvalResult::Bool(b) => Value::from(*b),
        EvalResult::Long(n) => Value::from(*n),
        EvalResult::String(s) => Value::from(s.as_str()),
        EvalResult::EntityUid(uid) => json!({"__entity": {
            "type": uid.type_name().to_string(), "id": uid.id().unescaped()}}),
        EvalResult::Set(set) => Value::Array(set.iter().map(value_json).collect()),
        EvalResult::Record(record) => Value::Object(
            record
                .iter()
                .map(|(k, v)| (k.clone(), value_json(v)))
                .collect(),
        ),
        EvalResult::ExtensionValue(text) => Value::from(text.as_str()),
    }
}
