//! [`PolicyBundle`]: a validated policy set with its schema and what Portier derives from
//! them. Its whole interface is the one `impl` block here; the work behind a method lives in
//! the module named in its body (parsing requests in `request`, evaluation in `evaluate`, …).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use cedar_policy::{
    Context, Effect, Entities, Entity, EntityTypeName, EntityUid, PolicyId, PolicySet, Request,
    Schema,
};
use serde_json::Value;

use super::index::{self, ActionIndex};
use super::sources::{PolicyFile, PolicyOrigin, Sources};
use super::types::CoreTypes;
use super::{context, evaluate, load, request, sample, sources, symmetry};
use super::{CheckBody, CheckRequest, LoadError, Verdict};
use crate::domain::{AccountId, CheckFacts, Roles};
use crate::error::Result;

/// A validated policy set with its schema and what Portier derives from them.
/// Immutable: a reload builds a new bundle and swaps it in whole.
pub struct PolicyBundle {
    pub(super) schema: Schema,
    pub(super) policies: PolicySet,
    pub(super) revision: String,
    pub(super) grants: BTreeSet<String>,
    /// Action id → the context attributes the schema declares for it.
    pub(super) context_keys: context::ContextKeys,
    pub(super) types: CoreTypes,
    /// Action id (`payInvoice`) → its uid and the resource types it applies to.
    pub(super) actions: HashMap<String, (EntityUid, HashSet<EntityTypeName>)>,
    /// Resource type → actions a `User` may be asked about on it (for allowed-actions).
    pub(super) actions_by_pair: index::ActionsByPair,
    /// Types that belong to an account (the Account type itself and its children).
    pub(super) account_scoped: HashSet<EntityTypeName>,
    pub(super) forbids: HashSet<PolicyId>,
    /// Permits annotated `@breakGlass`: an allow resting on them alone is recorded.
    break_glass: HashSet<String>,
    /// Per action: only the policies whose action scope can match it, and the action's own
    /// entity with its groups. Evaluating the subset gives the same answer as the whole set
    /// (a policy whose scope does not match is never satisfied and never errors), faster.
    pub(super) by_action: HashMap<EntityUid, ActionIndex>,
    /// Declared entity types by name, so requests need not run the Cedar parser.
    pub(super) type_names: HashMap<String, EntityTypeName>,
    /// The files the set was loaded from, and where each policy starts in them.
    pub(super) sources: Arc<sources::Sources>,
    /// The preset roles of `roles.json`, by name.
    pub(super) presets: Arc<Roles>,
}

impl PolicyBundle {
    pub(super) fn new(
        schema: Schema,
        policies: PolicySet,
        revision: String,
        grants: BTreeSet<String>,
        context_keys: context::ContextKeys,
    ) -> Result<Self, String> {
        let declared: HashSet<&EntityTypeName> = schema.entity_types().collect();
        let parse = |name: &str| -> Result<EntityTypeName, String> {
            let ty = EntityTypeName::from_str(name).map_err(|e| e.to_string())?;
            if declared.contains(&ty) {
                Ok(ty)
            } else {
                Err(format!(
                    "schemas: Portier needs the entity type `{name}` to be declared"
                ))
            }
        };
        let types = CoreTypes {
            user: parse("User")?,
            account: parse("Account")?,
            service: parse("Service")?,
            invitation: parse("Invitation")?,
            contact: parse("Contact")?,
            staff: parse("Staff")?,
            api_key: parse("ApiKey")?,
            agent: parse("Agent")?,
            agent_role: parse("AgentRole")?,
            grant: parse("Grant")?,
            mfa_requirement: parse("MfaRequirement")?,
        };
        let (actions, actions_by_pair) = index::actions(&schema);
        let account_scoped = index::account_scoped(&schema, &declared, &types);
        let forbids = policies
            .policies()
            .filter(|p| p.effect() == Effect::Forbid)
            .map(|p| p.id().clone())
            .collect();
        let break_glass = policies
            .policies()
            .filter(|p| p.effect() == Effect::Permit && p.annotation("breakGlass").is_some())
            .map(|p| p.id().to_string())
            .collect();
        let by_action = index::index_by_action(&schema, &policies, &types, &actions)?;
        let type_names = declared
            .iter()
            .map(|ty| (ty.to_string(), (*ty).clone()))
            .collect();
        Ok(PolicyBundle {
            schema,
            policies,
            revision,
            grants,
            context_keys,
            types,
            actions,
            actions_by_pair,
            account_scoped,
            forbids,
            break_glass,
            by_action,
            type_names,
            sources: Arc::default(),
            presets: Arc::default(),
        })
    }

    /// The context attributes the schema declares for the action `action_id`, when known.
    pub fn context_keys(&self, action_id: &str) -> Option<&BTreeSet<String>> {
        self.context_keys.get(action_id)
    }

    /// The policies that can apply to `action` (all of them for an unknown action).
    pub fn policies_for(&self, action: &EntityUid) -> &PolicySet {
        self.by_action
            .get(action)
            .map_or(&self.policies, |index| &index.policies)
    }

    /// The policies that can apply to a request: those of its action whose scope can match
    /// its principal's and resource's types.
    pub fn policies_for_request(&self, request: &Request) -> &PolicySet {
        let (Some(action), Some(principal), Some(resource)) =
            (request.action(), request.principal(), request.resource())
        else {
            return &self.policies;
        };
        let Some(index) = self.by_action.get(action) else {
            return &self.policies;
        };
        let types = (principal.type_name().clone(), resource.type_name().clone());
        index.by_types.get(&types).unwrap_or(&index.policies)
    }

    /// The entity ids written in the policies of `action` (`None`: unknown action).
    pub(super) fn written_ids(&self, action: &EntityUid) -> Option<&symmetry::WrittenIds> {
        self.by_action.get(action).map(|index| &index.written)
    }

    /// The action's entity, with its groups as parents.
    pub fn action_entity(&self, action: &EntityUid) -> Option<&Entity> {
        self.by_action.get(action).map(|index| &index.entity)
    }

    /// Whether an empty context is valid for `action`.
    pub fn empty_context_ok(&self, action: &EntityUid) -> bool {
        self.by_action
            .get(action)
            .is_some_and(|index| index.empty_context_ok)
    }

    /// A declared entity type by name.
    pub fn type_named(&self, name: &str) -> Option<&EntityTypeName> {
        self.type_names.get(name)
    }

    /// The content hash of the files this bundle was loaded from.
    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// The schema, for building entities and requests.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The policies, renamed to their `@id`s.
    pub fn policies(&self) -> &PolicySet {
        &self.policies
    }

    /// The core entity types.
    pub fn types(&self) -> &CoreTypes {
        &self.types
    }

    /// The grants the schema declares (the values of `entity Grant enum`).
    pub fn grants(&self) -> &BTreeSet<String> {
        &self.grants
    }

    /// Checks each grant against the schema; a `400` names the first unknown one (`grants[i]`).
    pub fn check_grants(&self, grants: &[String]) -> crate::Result<()> {
        match grants.iter().position(|g| !self.grants.contains(g)) {
            None => Ok(()),
            Some(i) => {
                let declared = self.grants.iter().cloned().collect::<Vec<_>>().join(", ");
                let message = format!(
                    "unknown grant {:?}; the schema declares: {declared}",
                    grants[i]
                );
                Err(crate::Error::bad_field(format!("grants[{i}]"), message))
            }
        }
    }

    /// The action with this id, if the schema declares it as a requestable action (not a group).
    pub fn action(&self, id: &str) -> Option<&(EntityUid, HashSet<EntityTypeName>)> {
        self.actions.get(id)
    }

    /// Actions this principal type may be asked about on this resource type, sorted by name.
    pub fn actions_for(
        &self,
        principal: &EntityTypeName,
        resource: &EntityTypeName,
    ) -> &[EntityUid] {
        self.actions_by_pair
            .get(principal)
            .and_then(|by_resource| by_resource.get(resource))
            .map_or(&[], Vec::as_slice)
    }

    /// The first action (by name) a user may be asked about on the named resource type, if any.
    pub fn first_action_for(&self, name: &str) -> Option<String> {
        let ty = EntityTypeName::from_str(name).ok()?;
        self.actions_for(&self.types.user, &ty)
            .first()
            .map(|a| a.id().unescaped().to_owned())
    }

    /// Whether entities of this type belong to an account (so a check needs the account).
    pub fn is_account_scoped(&self, ty: &EntityTypeName) -> bool {
        self.account_scoped.contains(ty)
    }

    /// Whether the schema declares this entity type.
    pub fn declares(&self, ty: &EntityTypeName) -> bool {
        self.schema.entity_types().any(|t| t == ty)
    }

    /// Whether an allow rests on break-glass alone: every permit behind it is annotated
    /// `@breakGlass`. Such an allow is never cached and is answered only once recorded.
    pub fn is_break_glass(&self, verdict: &Verdict) -> bool {
        verdict.allow
            && !verdict.reasons.is_empty()
            && verdict
                .reasons
                .iter()
                .all(|id| self.break_glass.contains(id))
    }

    /// Whether a policy is a `forbid` (its errors make the answer deny: fail closed).
    pub(super) fn is_forbid(&self, id: &PolicyId) -> bool {
        self.forbids.contains(id)
    }

    /// Every requestable action id, sorted.
    pub fn action_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.actions.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids
    }

    /// The same set with the files it was loaded from.
    pub(super) fn with_sources(mut self, sources: Sources) -> Self {
        self.sources = Arc::new(sources);
        self
    }

    pub(super) fn with_presets(mut self, presets: Roles) -> Self {
        self.presets = Arc::new(presets);
        self
    }

    /// The preset roles every account may use (`policies/roles.json`), by name.
    pub fn presets(&self) -> &Roles {
        &self.presets
    }
    /// Resolves a portal's check. Only `User` principals are evaluated: any other type is
    /// parsed but denied, and `Staff` can never be claimed from outside.
    pub fn parse_check(&self, body: CheckBody) -> Result<CheckRequest> {
        request::parse_check(self, body)
    }

    /// Context typed against the action's context type. Cedar checks the types only when a
    /// request is built, so build one here (as a user) to report a bad context as such.
    pub fn parse_context(
        &self,
        json: &Value,
        action: &EntityUid,
        resource: &EntityUid,
    ) -> Result<Context> {
        request::parse_context(self, json, action, resource)
    }

    /// Decides `request` over the store's `facts`: a deny when something is
    /// [`unknown`](super::unknown), else Cedar's answer over the entities
    /// [`build_entities`](super::build_entities) makes of the facts.
    pub fn evaluate_facts(&self, request: &CheckRequest, facts: &CheckFacts) -> Result<Verdict> {
        evaluate::evaluate_facts(self, request, facts)
    }

    /// Evaluates every policy. Cedar skips a policy that errors; when a skipped one is a
    /// `forbid`, an allow would rest on a rule that could not be checked, so the answer
    /// becomes deny with that forbid as the reason.
    pub fn evaluate(&self, request: &Request, entities: &Entities) -> Verdict {
        evaluate::evaluate(self, request, entities)
    }

    /// The resource of `account` that action `action_id` is asked about, or `None` when the
    /// action is not one on an account's things (or not a requestable action).
    pub fn sample_resource(&self, action_id: &str, account: &AccountId) -> Option<EntityUid> {
        sample::sample_resource(self, action_id, account)
    }

    /// Whether `request`'s decision could differ for another resource id of the same type
    /// with the same facts: always for the types Portier's entities refer to (users,
    /// accounts, grants, staff), and for any other type when the id is written in one of
    /// the action's policies or anywhere in the context.
    pub fn resource_id_matters(&self, request: &CheckRequest) -> bool {
        symmetry::resource_id_matters(self, request)
    }

    /// Where the policy `id` is written, and its text.
    pub fn origin(&self, id: &str) -> Option<&PolicyOrigin> {
        sources::origin(self, id)
    }

    /// The policy files of the set, in load order.
    pub fn policy_files(&self) -> Vec<PolicyFile> {
        sources::policy_files(self)
    }

    /// The schema files of the set, in load order.
    pub fn schema_files(&self) -> Vec<PolicyFile> {
        sources::schema_files(self)
    }

    /// The folder the policy files were read from (its `tests/` holds the policy tests).
    pub fn policies_dir(&self) -> Option<&Path> {
        sources::policies_dir(self)
    }

    /// The set with the policy file `name` replaced by `text` (added when no file has that
    /// name), loaded and validated in memory like a reload. Problems name files relative to
    /// the policies folder (`grants.cedar:12:3: …`). Nothing is swapped in or cached.
    pub fn with_policy_file(&self, name: &str, text: &str) -> Result<PolicyBundle, LoadError> {
        load::with_policy_file(self, name, text)
    }
}
