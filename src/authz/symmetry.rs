//! When a resource's id cannot change a decision. Cedar can compare entities but cannot read
//! an id as text, and the entities Portier builds refer to users, accounts and grants only.
//! So for a resource of any other type, renaming it changes no answer unless its id is
//! written in a policy of the action (`resource == Invoice::"inv-1"`) or in the request's
//! context: a check of `Invoice::"inv-9"` decides exactly as one of `Invoice::"inv-8"` with
//! the same principal, account, resource facts and context. The facts cache relies on this
//! to answer a check of a never-seen invoice from one computed before.

use std::collections::{HashMap, HashSet};

use cedar_policy::PolicySet;
use serde_json::Value;

use super::{CheckRequest, PolicyBundle};

/// The entity ids written in a set of policies, by type name (last path segment, so a
/// namespace never hides one); `None` when they cannot be told (templates, or a policy
/// that does not convert), and then every id counts as written.
#[derive(Debug, Default)]
pub(super) struct WrittenIds(Option<HashMap<String, HashSet<String>>>);

impl WrittenIds {
    /// The ids written in `policies`.
    pub(super) fn of(policies: &PolicySet) -> Self {
        if policies.templates().next().is_some() {
            return WrittenIds(None);
        }
        let mut written: HashMap<String, HashSet<String>> = HashMap::new();
        for policy in policies.policies() {
            let Ok(json) = policy.to_json() else {
                return WrittenIds(None);
            };
            collect(&json, &mut written);
        }
        WrittenIds(Some(written))
    }

    fn contains(&self, type_name: &str, id: &str) -> bool {
        self.0
            .as_ref()
            .is_none_or(|w| w.get(type_name).is_some_and(|ids| ids.contains(id)))
    }
}

/// Every `{"type": …, "id": …}` object in a policy's JSON form: entity literals in the
/// scope and in conditions alike.
fn collect(value: &Value, written: &mut HashMap<String, HashSet<String>>) {
    match value {
        Value::Object(map) => {
            if let (Some(Value::String(ty)), Some(Value::String(id))) =
                (map.get("type"), map.get("id"))
            {
                let basename = ty.rsplit("::").next().unwrap_or(ty);
                written
                    .entry(basename.to_owned())
                    .or_default()
                    .insert(id.clone());
            }
            map.values().for_each(|v| collect(v, written));
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, written)),
        _ => {}
    }
}

/// Whether `request`'s decision could differ for another resource id of the same type
/// with the same facts: always for the types Portier's entities refer to (users,
/// accounts, grants, staff), and for any other type when the id is written in one of
/// the action's policies or anywhere in the context.
pub(super) fn resource_id_matters(bundle: &PolicyBundle, request: &CheckRequest) -> bool {
    let types = bundle.types();
    let ty = request.resource.type_name();
    if [&types.user, &types.account, &types.grant, &types.staff].contains(&ty) {
        return true;
    }
    let id = request.resource.id().unescaped();
    let written = bundle
        .written_ids(&request.action)
        .is_none_or(|w| w.contains(ty.basename(), id));
    written || mentions(&request.context_json, id)
}

/// Whether `id` appears as a string anywhere in `value`.
fn mentions(value: &Value, id: &str) -> bool {
    match value {
        Value::String(text) => text == id,
        Value::Array(items) => items.iter().any(|v| mentions(v, id)),
        Value::Object(map) => map.iter().any(|(k, v)| k == id || mentions(v, id)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn ids_written_in_scopes_and_conditions_are_found_by_type() {
        let policies = PolicySet::from_str(
            r#"forbid (principal, action, resource == Invoice::"inv-held");
               permit (principal, action, resource) when { resource in [Ns::Order::"o-1"] };"#,
        )
        .unwrap();
        let written = WrittenIds::of(&policies);
        assert!(written.contains("Invoice", "inv-held"));
        assert!(written.contains("Order", "o-1"));
        assert!(!written.contains("Invoice", "inv-1"));
        assert!(!written.contains("Service", "inv-held"));
    }

    #[test]
    fn an_id_anywhere_in_the_context_is_a_mention() {
        let context = serde_json::json!({"about": [{"__entity": {"type": "Invoice", "id": "inv-7"}}], "inv-8": 1});
        assert!(mentions(&context, "inv-7"));
        assert!(mentions(&context, "inv-8"));
        assert!(!mentions(&context, "inv-9"));
    }
}
