//! The hosting company's preset roles, `policies/roles.json`: named sets of grants every
//! account may use, loaded and validated with the policies (their grants must be declared by
//! the schema, their names must be role names), so a preset that cannot hold never serves.
//! The file is part of the policy revision: changing a preset re-decides every cached
//! decision, on every replica, as a policy edit does.

use std::collections::BTreeSet;
use std::path::Path;

use super::sources::SourceFile;
use crate::domain::{RoleDefinition, RoleName, Roles, MAX_ROLE_DESCRIPTION};

/// The presets file's name, in the policies folder.
pub const PRESETS_FILE: &str = "roles.json";

/// Reads `roles.json` from the policies folder, if there is one.
pub(super) fn read(policies_dir: &Path) -> Result<Option<SourceFile>, String> {
    let path = policies_dir.join(PRESETS_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(SourceFile { path, text })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Parses and validates the presets against the schema's grants; every problem is one line
/// naming the file and the preset.
pub(super) fn parse(
    file: Option<&SourceFile>,
    grants: &BTreeSet<String>,
) -> Result<Roles, Vec<String>> {
    let Some(file) = file else {
        return Ok(Roles::new());
    };
    let place = file.path.display();
    let parsed: Roles = serde_json::from_str(&file.text).map_err(|e| {
        vec![format!(
            "{place}:{}:{}: {e} (expected {{\"name\": {{\"grants\": [...], \"description\": \"...\"}}}})",
            e.line(),
            e.column()
        )]
    })?;
    let mut problems = Vec::new();
    let mut presets = Roles::new();
    for (name, role) in parsed {
        if let Err(e) = name.parse::<RoleName>() {
            problems.push(format!("{place}: preset {e}"));
        }
        for grant in role.grants.iter().filter(|g| !grants.contains(*g)) {
            problems.push(format!(
                "{place}: preset {name:?}: the schema declares no grant {grant:?}"
            ));
        }
        if role.description.chars().count() > MAX_ROLE_DESCRIPTION {
            problems.push(format!(
                "{place}: preset {name:?}: a description has at most {MAX_ROLE_DESCRIPTION} characters"
            ));
        }
        let mut grants = role.grants;
        grants.sort();
        grants.dedup();
        presets.insert(
            name,
            RoleDefinition {
                grants,
                description: role.description,
            },
        );
    }
    if problems.is_empty() {
        Ok(presets)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile {
            path: "policies/roles.json".into(),
            text: text.to_owned(),
        }
    }

    #[test]
    fn presets_must_hold_declared_grants_and_role_names() {
        let grants = BTreeSet::from(["billing".to_owned(), "orders-view".to_owned()]);
        let ok = parse(
            Some(&file(r#"{"accountant": {"grants": ["orders-view", "billing"], "description": "Invoices"}}"#)),
            &grants,
        )
        .unwrap();
        assert_eq!(ok["accountant"].grants, ["billing", "orders-view"]);
        let bad = parse(
            Some(&file(
                r#"{"Admin": {"grants": ["billing"]}, "clerk": {"grants": ["domains"]}}"#,
            )),
            &grants,
        )
        .unwrap_err();
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert!(
            bad[0].contains("\"Admin\"") && bad[1].contains("\"domains\""),
            "{bad:?}"
        );
        assert!(parse(Some(&file("[]")), &grants).unwrap_err()[0].contains("roles.json:1:"));
        assert!(parse(None, &grants).unwrap().is_empty());
    }
}
