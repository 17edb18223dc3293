//! The searches behind AuthZEN's subject and resource search: candidates the store keeps,
//! kept where the check pipeline allows, so a search never claims more than a check of each
//! candidate would answer. The adapter says how a candidate becomes a check (`ask`); one
//! decision-log event counts the candidates evaluated. Any failure fails the search.

use super::check::Api;
use super::App;
use crate::authz::{CheckRequest, PolicyBundle};
use crate::domain::{AccountId, UserId};
use crate::error::Result;
use crate::store::{Candidate, Reachable};

/// Whose access a subject search weighs.
#[derive(Debug, Clone)]
pub enum Subjects {
    /// The owner and members of an account.
    MembersOf(AccountId),
    /// One user (the resource is that user's own record).
    Only(String),
}

/// What a resource search weighs for a user.
#[derive(Debug, Clone, Copy)]
pub enum Resources {
    /// Stored resources of one kind the user can reach.
    Reachable(Reachable),
    /// The user's own record.
    OwnRecord,
}

/// The subjects among `among` for whom `ask(id)` is allowed.
pub async fn subjects(
    app: &App,
    bundle: &PolicyBundle,
    among: Subjects,
    ask: impl Fn(&str) -> Result<CheckRequest>,
    api: Api,
) -> Result<Vec<String>> {
    let candidates = match among {
        Subjects::MembersOf(account) => app.store().account_member_ids(&account).await?,
        Subjects::Only(id) => vec![id],
    };
    allowed(app, bundle, candidates, |id| ask(id), api).await
}

/// The resources among `among` of `user` for which `ask(candidate)` is allowed. The user's
/// own record is a candidate with an empty account.
pub async fn resources(
    app: &App,
    bundle: &PolicyBundle,
    user: &UserId,
    among: Resources,
    ask: impl Fn(&Candidate) -> Result<CheckRequest>,
    api: Api,
) -> Result<Vec<Candidate>> {
    let candidates = match among {
        Resources::Reachable(kind) => app.store().reachable(user, kind).await?,
        Resources::OwnRecord => vec![Candidate {
            account: String::new(),
            id: user.as_str().to_owned(),
        }],
    };
    allowed(app, bundle, candidates, ask, api).await
}

/// The candidates whose check (`ask`) the pipeline allows, decided together as one search.
async fn allowed<T>(
    app: &App,
    bundle: &PolicyBundle,
    candidates: Vec<T>,
    ask: impl Fn(&T) -> Result<CheckRequest>,
    api: Api,
) -> Result<Vec<T>> {
    let requests = candidates.iter().map(ask).collect::<Result<Vec<_>>>()?;
    let allowed = app.checker().sift(bundle, &requests, api).await?;
    Ok(candidates
        .into_iter()
        .zip(allowed)
        .filter_map(|(candidate, allowed)| allowed.then_some(candidate))
        .collect())
}
