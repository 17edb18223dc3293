//! The entities of one check, built in code from the store's facts: the principal (with the
//! tag for the request's account only), the account, and the resource. Nothing else is read,
//! so a check costs the same with ten users or ten million.

use std::collections::HashMap;

use cedar_policy::{Entities, Entity, EntityId, EntityUid, RestrictedExpression as Expr};

use super::request::{CheckRequest, Principal};
use super::PolicyBundle;
use crate::domain::CheckFacts;
use crate::error::{Error, Result};

/// Builds the entities Cedar needs for `request`, from `facts` and the caller's entities.
/// Caller entities never replace a User, Account or Service (parsing refused those); a
/// caller-supplied resource keeps its attributes but gets the account from the request.
pub fn build_entities(
    bundle: &PolicyBundle,
    request: &CheckRequest,
    facts: &CheckFacts,
) -> Result<Entities> {
    let types = bundle.types();
    let account_uid = request.account.as_ref().map(|id| {
        EntityUid::from_type_name_and_id(types.account.clone(), EntityId::new(id.as_str()))
    });
    let mut entities = Vec::with_capacity(3 + request.supplied.len());

    if let (Some(uid), Some(account)) = (&account_uid, &facts.account) {
        let attrs = [
            (
                "accountId".to_owned(),
                Expr::new_string(uid.id().unescaped().to_owned()),
            ),
            ("active".to_owned(), Expr::new_bool(account.active)),
        ];
        entities.push(entity(uid.clone(), attrs, None, [])?);
    }

    if let (Principal::User(_), Some(user)) = (&request.principal, &facts.user) {
        let set_of_account = |yes: bool| {
            Expr::new_set(
                account_uid
                    .iter()
                    .filter(|_| yes)
                    .cloned()
                    .map(Expr::new_entity_uid),
            )
        };
        let membership = user.membership.as_ref();
        let attrs = [
            ("active".to_owned(), Expr::new_bool(user.active)),
            ("suspended".to_owned(), Expr::new_bool(user.suspended)),
            ("email".to_owned(), Expr::new_string(user.email.clone())),
            (
                "ownerOf".to_owned(),
                set_of_account(membership.is_some_and(|m| m.owner)),
            ),
            (
                "adminOf".to_owned(),
                set_of_account(membership.is_some_and(|m| m.admin)),
            ),
            (
                "expiredIn".to_owned(),
                set_of_account(membership.is_some_and(|m| m.expired)),
            ),
        ];
        let tags = match (&account_uid, membership.filter(|m| !m.expired)) {
            (Some(account), Some(m)) => {
                // A grant the schema no longer declares is ignored rather than failing every check.
                let declared = m.grants.iter().filter(|g| bundle.grants().contains(*g));
                let grants = declared.map(|g| {
                    Expr::new_entity_uid(EntityUid::from_type_name_and_id(
                        types.grant.clone(),
                        EntityId::new(g),
                    ))
                });
                vec![(account.id().unescaped().to_owned(), Expr::new_set(grants))]
            }
            _ => Vec::new(),
        };
        entities.push(entity(request.principal_uid.clone(), attrs, None, tags)?);
    }

    let resource_type = request.resource.type_name();
    let supplied_resource = request
        .supplied
        .iter()
        .find(|e| e.uid() == request.resource);
    if let Some(account) = account_uid
        .as_ref()
        .filter(|_| resource_type != &types.account)
    {
        let mut attrs: HashMap<String, Expr> = supplied_resource
            .map(|e| e.clone().into_inner().1)
            .unwrap_or_default();
        attrs.insert(
            "accountId".into(),
            Expr::new_string(account.id().unescaped().to_owned()),
        );
        attrs.insert("account".into(), Expr::new_entity_uid(account.clone()));
        if resource_type == &types.service {
            let assignees = facts.assignees.iter().map(|u| {
                Expr::new_entity_uid(EntityUid::from_type_name_and_id(
                    types.user.clone(),
                    EntityId::new(u),
                ))
            });
            attrs.insert("assignees".into(), Expr::new_set(assignees));
        }
        if resource_type == &types.invitation {
            let email = facts.invitation_email.clone().unwrap_or_default();
            attrs.insert("email".into(), Expr::new_string(email));
        }
        entities.push(entity(
            request.resource.clone(),
            attrs,
            Some(account.clone()),
            [],
        )?);
    } else if let Some(resource) = supplied_resource {
        entities.push(resource.clone());
    }
    entities.extend(
        request
            .supplied
            .iter()
            .filter(|e| e.uid() != request.resource)
            .cloned(),
    );

    if request.supplied.is_empty() {
        // Built here from typed facts, so schema validation would only re-check this code;
        // the action's entity (with its groups) is the one thing the schema would add.
        entities.extend(bundle.action_entity(&request.action).cloned());
        return Entities::from_entities(entities, None)
            .map_err(|e| Error::Internal(anyhow::anyhow!("entities built for a check: {e}")));
    }
    // With caller-supplied attributes in play, validate everything against the schema.
    Entities::from_entities(entities, Some(bundle.schema()))
        .map_err(|e| Error::bad_field("entities", e.to_string()))
}

fn entity(
    uid: EntityUid,
    attrs: impl IntoIterator<Item = (String, Expr)>,
    parent: Option<EntityUid>,
    tags: impl IntoIterator<Item = (String, Expr)>,
) -> Result<Entity> {
    Entity::new_with_tags(uid, attrs, parent, tags)
        .map_err(|e| Error::Internal(anyhow::anyhow!("building an entity: {e}")))
}
