//! What the schema declares a request's context may hold, read once per policy set: the
//! attribute names of each action's context record. A request's context is then checked
//! and filtered in one pass over its keys (a hash lookup each), never by asking Cedar about
//! one key at a time.

use std::collections::{BTreeSet, HashMap};

use cedar_policy::SchemaFragment;
use serde_json::{Map, Value};

use super::PolicyBundle;
use crate::error::{Error, Result};

/// The most keys a request's context may have; past it the request is a `400` naming
/// `context`. The shipped schema declares one; a portal sending its own metadata along has
/// room to spare.
pub const MAX_CONTEXT_KEYS: usize = 256;

/// Action id → the attribute names its context record declares. An action missing here
/// has a context type Portier could not read (then a context is passed to Cedar whole).
pub(super) type ContextKeys = HashMap<String, BTreeSet<String>>;

/// The declared context attributes of every action of the fragments, in any namespace.
pub(super) fn context_keys(fragments: &[SchemaFragment]) -> ContextKeys {
    let mut keys = ContextKeys::new();
    for fragment in fragments {
        let Some(json) = fragment
            .to_json_string()
            .ok()
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
        else {
            continue;
        };
        for namespace in json.as_object().into_iter().flat_map(|ns| ns.values()) {
            let common = namespace.get("commonTypes").and_then(Value::as_object);
            let actions = namespace.get("actions").and_then(Value::as_object);
            for (action, declared) in actions.into_iter().flatten() {
                let context = declared.pointer("/appliesTo/context");
                let names = match context {
                    // No context declared: an empty record.
                    None => Some(BTreeSet::new()),
                    Some(ty) => record_attributes(ty, common),
                };
                if let Some(names) = names {
                    keys.insert(action.clone(), names);
                }
            }
        }
    }
    keys
}

/// The attribute names of a record type, following one common-type name.
fn record_attributes(ty: &Value, common: Option<&Map<String, Value>>) -> Option<BTreeSet<String>> {
    let kind = ty.get("type")?.as_str()?;
    let record = match kind {
        "Record" => ty,
        "EntityOrCommon" => common_type(ty.get("name")?.as_str()?, common)?,
        name => common_type(name, common)?,
    };
    if record.get("type")?.as_str()? != "Record" {
        return None;
    }
    let attributes = record.get("attributes")?.as_object()?;
    Some(attributes.keys().cloned().collect())
}

/// A common type by its name (qualified or not) in the fragment's namespace.
fn common_type<'a>(name: &str, common: Option<&'a Map<String, Value>>) -> Option<&'a Value> {
    let short = name.rsplit("::").next().unwrap_or(name);
    common?.get(short)
}

/// Refuses a context with more than [`MAX_CONTEXT_KEYS`] keys, naming `field`.
pub fn check_size(context: &Map<String, Value>, field: &str) -> Result<()> {
    if context.len() > MAX_CONTEXT_KEYS {
        return Err(Error::bad_field(
            field,
            format!(
                "at most {MAX_CONTEXT_KEYS} keys (this one has {})",
                context.len()
            ),
        ));
    }
    Ok(())
}

/// The longest break-glass reason a check may state, in characters.
pub const MAX_REASON_CHARS: usize = 200;

/// Refuses a stated `reason` (break-glass) that is blank or longer than
/// [`MAX_REASON_CHARS`]; a reason that is not a string is left to the schema's check.
pub fn check_reason(context: &Map<String, Value>, field: &str) -> Result<()> {
    let Some(Value::String(reason)) = context.get("reason") else {
        return Ok(());
    };
    let field = format!("{field}.reason");
    if reason.trim().is_empty() {
        return Err(Error::bad_field(field, "must not be blank"));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(Error::bad_field(
            field,
            format!("at most {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(())
}

/// The reason a check states (break-glass), if any.
pub fn reason(context: &Value) -> Option<&str> {
    context.get("reason")?.as_str()
}

/// The context with the keys the action's context type does not declare left out (one hash
/// lookup per key). A declared key with a wrong value stays, so the check still reports it
/// as a `400`; an action whose context type is unknown gets the context whole.
pub fn declared_only(bundle: &PolicyBundle, action: &str, context: &Map<String, Value>) -> Value {
    let declared = bundle
        .action(action)
        .and_then(|(uid, _)| bundle.context_keys(uid.id().unescaped()));
    let Some(declared) = declared else {
        return Value::Object(context.clone());
    };
    let kept = context
        .iter()
        .filter(|(key, _)| declared.contains(key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()));
    Value::Object(kept.collect())
}

/// The address a check says it came from, `context.ip`: written as a string (`"203.0.113.9"`)
/// or as Cedar's extension form (`{"__extn": {"fn": "ip", "arg": "203.0.113.9"}}`). `None`
/// when absent or when it is a range rather than one address.
pub fn ip(context: &Value) -> Option<std::net::IpAddr> {
    let value = context.get("ip")?;
    let text = match value {
        Value::String(text) => text.as_str(),
        Value::Object(object) => {
            let call = object.get("__extn").unwrap_or(value);
            call.get("arg")?.as_str()?
        }
        _ => return None,
    };
    text.trim().parse().ok()
}

#[cfg(test)]
mod ip_tests {
    use serde_json::json;

    #[test]
    fn the_address_is_read_in_either_form_and_a_range_is_none() {
        assert_eq!(
            super::ip(&json!({"ip": "203.0.113.9"})),
            "203.0.113.9".parse().ok()
        );
        let extension = json!({"ip": {"__extn": {"fn": "ip", "arg": "2001:db8::1"}}});
        assert_eq!(super::ip(&extension), "2001:db8::1".parse().ok());
        assert_eq!(super::ip(&json!({"ip": "10.0.0.0/8"})), None);
        assert_eq!(super::ip(&json!({})), None);
    }
}
