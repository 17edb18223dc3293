//! Paging of AuthZEN search results. A page token is opaque to the caller; inside it are the
//! offset of the next page, the page size, and a digest of the query it belongs to, so a
//! later page whose query changed is refused (`400`) instead of answering the wrong list.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::{Error, Result};

/// Results per page unless the request asks otherwise.
pub const DEFAULT_LIMIT: usize = 100;

/// Most results per page.
pub const MAX_LIMIT: usize = 1000;

/// `page` of a search request.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PageRequest {
    /// `next_token` of the previous page; absent for the first page.
    #[serde(default)]
    pub token: Option<String>,
    /// Results per page (1–1000, default 100; `0` means the default). On later pages it may
    /// be left out, or must equal the first page's.
    #[serde(default)]
    pub limit: Option<u64>,
}

/// `page` of a search answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageResponse {
    /// The token of the next page; `""` when this is the last one.
    pub next_token: String,
    /// Results in this page.
    pub count: usize,
    /// Results in the whole list.
    pub total: usize,
}

/// Which slice of the list to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    offset: usize,
    limit: usize,
    query: [u8; 16],
}

impl Window {
    /// The window a request asks for. `query` is the request without its `page`, as a
    /// canonical JSON value (object keys sorted), so any change to it changes the digest.
    pub fn of(endpoint: &str, query: &Value, page: Option<&PageRequest>) -> Result<Window> {
        let page = page.cloned().unwrap_or_default();
        let asked = match page.limit {
            None | Some(0) => None,
            Some(n) => Some(usize::try_from(n).unwrap_or(usize::MAX).min(MAX_LIMIT)),
        };
        let query = digest(endpoint, query);
        let Some(token) = page.token.filter(|t| !t.is_empty()) else {
            let limit = asked.unwrap_or(DEFAULT_LIMIT);
            return Ok(Window {
                offset: 0,
                limit,
                query,
            });
        };
        let window = decode(&token).ok_or_else(|| {
            Error::bad_field("page.token", "not a page token issued by this server")
        })?;
        if window.query != query || asked.is_some_and(|limit| limit != window.limit) {
            return Err(Error::bad_field(
                "page.token",
                "the query changed since the first page: send the same subject, action, resource, context and limit",
            ));
        }
        Ok(window)
    }

    /// This page of `all`, and the `page` object describing it.
    pub fn slice<T: Clone>(&self, all: &[T]) -> (Vec<T>, PageResponse) {
        let start = self.offset.min(all.len());
        let end = start.saturating_add(self.limit).min(all.len());
        let next_token = if end < all.len() {
            encode(&Window {
                offset: end,
                ..*self
            })
        } else {
            String::new()
        };
        let page = PageResponse {
            next_token,
            count: end - start,
            total: all.len(),
        };
        (all[start..end].to_vec(), page)
    }
}

fn digest(endpoint: &str, query: &Value) -> [u8; 16] {
    let mut hasher = Sha256::new();
    hasher.update(endpoint.as_bytes());
    hasher.update([0]);
    hasher.update(query.to_string().as_bytes());
    let full: [u8; 32] = hasher.finalize().into();
    full[..16].try_into().unwrap_or_default()
}

fn encode(window: &Window) -> String {
    format!(
        "{:08x}{:08x}{}",
        window.offset,
        window.limit,
        hex::encode(window.query)
    )
}

fn decode(token: &str) -> Option<Window> {
    if token.len() != 48 || !token.is_ascii() {
        return None;
    }
    let offset = usize::from_str_radix(&token[..8], 16).ok()?;
    let limit = usize::from_str_radix(&token[8..16], 16).ok()?;
    let query = hex::decode(&token[16..]).ok()?.try_into().ok()?;
    (1..=MAX_LIMIT).contains(&limit).then_some(Window {
        offset,
        limit,
        query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(token: Option<&str>, limit: Option<u64>) -> PageRequest {
        PageRequest {
            token: token.map(str::to_owned),
            limit,
        }
    }

    #[test]
    fn pages_walk_the_list_and_end_with_an_empty_token() {
        let query = json!({"subject": {"type": "user", "id": "a"}});
        let all: Vec<u32> = (0..5).collect();
        let first = Window::of("resource", &query, Some(&page(None, Some(2)))).unwrap();
        let (items, meta) = first.slice(&all);
        assert_eq!((items, meta.count, meta.total), (vec![0, 1], 2, 5));
        let second = Window::of(
            "resource",
            &query,
            Some(&page(Some(&meta.next_token), None)),
        );
        let (items, meta) = second.unwrap().slice(&all);
        assert_eq!(items, vec![2, 3]);
        let third = Window::of(
            "resource",
            &query,
            Some(&page(Some(&meta.next_token), Some(2))),
        );
        let (items, meta) = third.unwrap().slice(&all);
        assert_eq!((items, meta.next_token.as_str()), (vec![4], ""));
    }

    #[test]
    fn a_changed_query_limit_or_endpoint_is_refused() {
        let query = json!({"subject": {"type": "user", "id": "a"}});
        let (_, meta) = Window::of("resource", &query, Some(&page(None, Some(1))))
            .unwrap()
            .slice(&[1, 2, 3]);
        let token = Some(meta.next_token.as_str());
        let other = json!({"subject": {"type": "user", "id": "b"}});
        assert!(Window::of("resource", &other, Some(&page(token, None))).is_err());
        assert!(Window::of("resource", &query, Some(&page(token, Some(2)))).is_err());
        assert!(Window::of("subject", &query, Some(&page(token, None))).is_err());
        assert!(Window::of("resource", &query, Some(&page(Some("garbage"), None))).is_err());
        assert!(Window::of("resource", &query, Some(&page(token, None))).is_ok());
    }
}
