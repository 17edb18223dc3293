//! Property tests of the domain parsers: whatever the input, they answer (never panic), and
//! what they accept keeps the rules the rest of Portier relies on.

use std::str::FromStr;

use cedar_policy::EntityUid;
use proptest::prelude::*;

use super::{parse_id, Email, Name, Phone, UserId};

/// Cases per property: `PROPTEST_CASES`, else 256; a fixed seed unless `PROPTEST_RNG_SEED`
/// says otherwise, so CI runs the same inputs every time.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256);
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(9);
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed),
        ..ProptestConfig::default()
    }
}

/// Text mixing plain ASCII with the characters that matter: quotes, colons, spaces,
/// controls, invisible and bidirectional characters, capitals outside ASCII, URL escapes.
fn tricky_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9._@-]{1,6}",
        Just(":".to_owned()),
        Just("::".to_owned()),
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        Just(" ".to_owned()),
        Just("\u{200b}".to_owned()),
        Just("\u{202e}".to_owned()),
        Just("\u{2066}".to_owned()),
        Just("\u{feff}".to_owned()),
        Just("É".to_owned()),
        Just("'".to_owned()),
        Just("%".to_owned()),
        Just("\u{301}".to_owned()),
        "\\PC{1,3}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn accepted_ids_work_in_every_check_form(raw in tricky_text()) {
        if let Ok(id) = parse_id(&raw) {
            prop_assert!(!id.contains("::") && !id.contains('"') && !id.contains('\\') && !id.contains('%'));
            prop_assert!(!id.chars().any(|c| c.is_whitespace() || c.is_control() || super::chars::is_deceptive(c)));
            // `User::"id"` names the same id.
            let uid = EntityUid::from_str(&format!("User::\"{id}\""));
            prop_assert!(uid.is_ok(), "User::{id:?} does not parse: {uid:?}");
            let uid = uid.unwrap();
            prop_assert_eq!(uid.id().unescaped(), id.as_str());
            prop_assert_eq!(UserId::from_str(&id).map(String::from), Ok(id.clone()));
        }
    }

    #[test]
    fn names_are_trimmed_and_visible(raw in tricky_text()) {
        if let Ok(name) = Name::try_from(raw.clone()) {
            prop_assert_eq!(name.as_str(), raw.trim());
            prop_assert!(!name.as_str().is_empty());
            prop_assert!(!name.as_str().chars().any(|c| c.is_control() || super::chars::is_deceptive(c)));
        }
    }

    #[test]
    fn emails_have_one_at_and_a_dotted_domain(raw in tricky_text()) {
        if let Ok(email) = Email::try_from(raw) {
            let (local, domain) = email.as_str().split_once('@').expect("an @");
            prop_assert!(!local.is_empty() && domain.contains('.') && !domain.contains('@'));
            prop_assert!(!email.as_str().chars().any(char::is_whitespace));
        }
    }

    #[test]
    fn phones_keep_their_digits(raw in "[0-9 +().a-z-]{0,40}") {
        if let Ok(phone) = Phone::try_from(raw.clone()) {
            let kept: String = String::from(phone).chars().filter(char::is_ascii_digit).collect();
            let sent: String = raw.chars().filter(char::is_ascii_digit).collect();
            prop_assert_eq!(kept, sent);
        }
    }
}
