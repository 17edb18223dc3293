//! The entities of one check, built in code from the store's facts: the principal (with the
//! tag for the request's account only; for an API key, also its creator seen from that
//! account; for an agent, the account's current support access as its tag), the account, and
//! the resource. Nothing else is read,
//! so a check costs the same with ten users or ten million.

use std::collections::HashMap;

use cedar_policy::{Entities, Entity, EntityId, EntityUid, RestrictedExpression as Expr};

use super::request::{CheckRequest, Principal};
use super::{context, PolicyBundle};
use crate::domain::{AccountFacts, AgentFacts, ApiKeyFacts, CheckFacts, UserFacts};
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
        entities.push(account_entity(bundle, request, uid.clone(), account)?);
    }

    match (&request.principal, &facts.user, &facts.api_key) {
        (Principal::User(_), Some(user), _) => entities.push(user_entity(
            bundle,
            request.principal_uid.clone(),
            user,
            account_uid.as_ref(),
        )?),
        (Principal::ApiKey(_), Some(creator), Some(key)) => {
            let creator_uid = EntityUid::from_type_name_and_id(
                types.user.clone(),
                EntityId::new(key.creator.as_str()),
            );
            let key = key_entity(bundle, request, key, creator_uid.clone())?;
            entities.push(user_entity(
                bundle,
                creator_uid,
                creator,
                account_uid.as_ref(),
            )?);
            entities.push(key);
        }
        (Principal::Agent(_), _, _) => {
            if let Some(agent) = &facts.agent {
                entities.push(agent_entity(bundle, request, agent, account_uid.as_ref())?);
            }
        }
        _ => {}
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

/// An account as policies see it: status, second-factor requirement, and the fact derived
/// for this check, `fromAllowedNetwork` (the request's `context.ip` against the account's
/// allowed ranges; true for an account without any).
fn account_entity(
    bundle: &PolicyBundle,
    request: &CheckRequest,
    uid: EntityUid,
    account: &AccountFacts,
) -> Result<Entity> {
    let from_allowed_network = account.networks.admits(context::ip(&request.context_json));
    let require_mfa = EntityUid::from_type_name_and_id(
        bundle.types().mfa_requirement.clone(),
        EntityId::new(account.require_mfa.as_str()),
    );
    let attrs = [
        (
            "accountId".to_owned(),
            Expr::new_string(uid.id().unescaped().to_owned()),
        ),
        ("active".to_owned(), Expr::new_bool(account.active)),
        ("requireMfa".to_owned(), Expr::new_entity_uid(require_mfa)),
        (
            "fromAllowedNetwork".to_owned(),
            Expr::new_bool(from_allowed_network),
        ),
    ];
    entity(uid, attrs, None, [])
}

/// A user as policies see them from the check's account: status, email, that account in
/// `ownerOf` / `adminOf` / `expiredIn` as the membership says, and the grants held there as
/// the tag keyed by its id: its own and its roles' (none once the membership has run out).
fn user_entity(
    bundle: &PolicyBundle,
    uid: EntityUid,
    user: &UserFacts,
    account_uid: Option<&EntityUid>,
) -> Result<Entity> {
    let set_of_account = |yes: bool| {
        Expr::new_set(
            account_uid
                .iter()
                .filter(|_| yes)
                .map(|uid| Expr::new_entity_uid((*uid).clone())),
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
    let tags = match (account_uid, membership.filter(|m| !m.expired)) {
        (Some(account), Some(m)) => vec![(
            account.id().unescaped().to_owned(),
            grant_set(bundle, &m.effective_grants(bundle.presets())),
        )],
        _ => Vec::new(),
    };
    entity(uid, attrs, None, tags)
}

/// An API key as policies see it, with the two facts derived for this check: `live` (from
/// the clock, in the facts) and `fromAllowedNetwork` (the request's `context.ip` against the
/// key's stored ranges). Its parent is its own account.
fn key_entity(
    bundle: &PolicyBundle,
    request: &CheckRequest,
    key: &ApiKeyFacts,
    creator: EntityUid,
) -> Result<Entity> {
    let account = EntityUid::from_type_name_and_id(
        bundle.types().account.clone(),
        EntityId::new(key.account.as_str()),
    );
    let from_allowed_network = key.networks.admits(context::ip(&request.context_json));
    let attrs = [
        ("account".to_owned(), Expr::new_entity_uid(account.clone())),
        ("creator".to_owned(), Expr::new_entity_uid(creator)),
        ("grants".to_owned(), grant_set(bundle, &key.grants)),
        ("live".to_owned(), Expr::new_bool(key.live)),
        (
            "fromAllowedNetwork".to_owned(),
            Expr::new_bool(from_allowed_network),
        ),
    ];
    entity(request.principal_uid.clone(), attrs, Some(account), [])
}

/// A support agent as policies see them from the check's account: what they are, and the
/// grants of the account's current support access as the tag keyed by its id (no tag without
/// one: the fact derived for this check from the store's consents and the clock).
fn agent_entity(
    bundle: &PolicyBundle,
    request: &CheckRequest,
    agent: &AgentFacts,
    account_uid: Option<&EntityUid>,
) -> Result<Entity> {
    let role = EntityUid::from_type_name_and_id(
        bundle.types().agent_role.clone(),
        EntityId::new(agent.role.as_str()),
    );
    let attrs = [("role".to_owned(), Expr::new_entity_uid(role))];
    let tags = match (account_uid, &agent.support_grants) {
        (Some(account), Some(grants)) => vec![(
            account.id().unescaped().to_owned(),
            grant_set(bundle, grants),
        )],
        _ => Vec::new(),
    };
    entity(request.principal_uid.clone(), attrs, None, tags)
}

/// A set of grants; a grant the schema no longer declares is ignored rather than failing
/// every check.
fn grant_set(bundle: &PolicyBundle, grants: &[String]) -> Expr {
    let declared = grants.iter().filter(|g| bundle.grants().contains(*g));
    Expr::new_set(declared.map(|g| {
        Expr::new_entity_uid(EntityUid::from_type_name_and_id(
            bundle.types().grant.clone(),
            EntityId::new(g),
        ))
    }))
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
