//! What the unit tests of several modules start from: the repository's own policy set, and
//! one parsed check over it.

use super::{CheckRequest, PolicyBundle};

/// The policies and schema this repository ships.
pub(crate) fn shipped() -> PolicyBundle {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    super::load(&root.join("policies"), &root.join("schemas")).expect("the shipped policies load")
}

/// The shipped set, and bill asking to pay invoice inv-1 of acct-1.
pub(crate) fn bill_pays() -> (PolicyBundle, CheckRequest) {
    let bundle = shipped();
    let body = serde_json::from_value(serde_json::json!({"principal": "bill", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1"})).unwrap();
    let request = bundle.parse_check(body).unwrap();
    (bundle, request)
}
