//! Property tests of the parsers at the HTTP edge: JSON bodies, query strings and the
//! `Authorization` header. Whatever arrives, they answer, and every refusal is a `400`
//! naming a field.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::audit::AuditQuery;
use super::auth::bearer_token;
use super::check::BatchBody;
use super::contacts::RecipientsQuery;
use super::extract::{parse_json, parse_query};
use crate::authz::CheckBody;
use crate::error::Error;

/// Cases per property: `PROPTEST_CASES`, else 256; a fixed seed unless `PROPTEST_RNG_SEED`.
fn config() -> ProptestConfig {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    ProptestConfig {
        cases: env("PROPTEST_CASES").map_or(256, |c| c.min(100_000) as u32),
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(env("PROPTEST_RNG_SEED").unwrap_or(9)),
        ..ProptestConfig::default()
    }
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-zA-Z:\"\\\\ ]{0,12}".prop_map(Value::from),
        Just(json!("User::\"alice\"")),
        Just(json!({"type": "User", "id": "alice"})),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A check body: the documented fields (and sometimes others) with any values.
fn check_body() -> impl Strategy<Value = Value> {
    let fields = vec![
        "principal",
        "action",
        "resource",
        "account",
        "context",
        "entities",
        "consistency",
        "extra",
    ];
    prop::collection::vec((prop::sample::select(fields), json_value()), 0..8).prop_map(|pairs| {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    })
}

fn names_a_field(err: &Error) -> bool {
    matches!(err, Error::BadRequest { field: Some(field), .. } if !field.is_empty())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn check_bodies_parse_or_name_a_field(body in check_body(), tail in "[ \n]{0,2}|[ ]?[{}a-z\"]{1,6}") {
        let text = format!("{body}{tail}");
        match parse_json::<CheckBody>(text.as_bytes()) {
            Ok(_) => prop_assert!(tail.trim().is_empty(), "data after the JSON was accepted: {text}"),
            Err(err) => prop_assert!(names_a_field(&err), "{err:?} for {text}"),
        }
    }

    #[test]
    fn batches_and_raw_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64), body in check_body()) {
        if let Err(err) = parse_json::<BatchBody>(&bytes) {
            prop_assert!(names_a_field(&err), "{err:?}");
        }
        let batch = json!({"checks": [body]}).to_string();
        if let Err(err) = parse_json::<BatchBody>(batch.as_bytes()) {
            prop_assert!(names_a_field(&err), "{err:?}");
        }
    }

    #[test]
    fn query_strings_parse_or_name_a_field(query in "([a-z]{0,8}(=[a-z0-9%+&=]{0,8})?&?){0,4}") {
        if let Err(err) = parse_query::<AuditQuery>(&query) {
            prop_assert!(names_a_field(&err), "{err:?} for {query}");
        }
        if let Err(err) = parse_query::<RecipientsQuery>(&query) {
            prop_assert!(names_a_field(&err), "{err:?} for {query}");
        }
    }

    #[test]
    fn bearer_scheme_is_case_insensitive(scheme in "[bB][eE][aA][rR][eE][rR]", token in "[!-~]{1,40}", other in "[A-Za-z]{1,8}") {
        let header = format!("{scheme} {token}");
        prop_assert_eq!(bearer_token(&header), Some(token.as_str()));
        let header = format!("{other} {token}");
        if !other.eq_ignore_ascii_case("bearer") {
            prop_assert_eq!(bearer_token(&header), None);
        }
    }
}
