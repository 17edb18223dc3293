//! The OpenAPI description, generated from the handlers' `#[utoipa::path]` annotations as
//! they are registered (see [`super::app`]), so the spec and the router cannot drift apart.
//! Shared pieces live here: the JSON error, the error responses every route may give, the
//! bearer scheme, and the `X-Portier-Actor`, `X-Portier-MFA` and `X-Portier-Client-IP` headers of the management routes.

use serde::Serialize;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ObjectBuilder, OpenApi as Spec, Type};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

use super::auth::{ACTOR_HEADER, AGENT_HEADER, CLIENT_IP_HEADER, MFA_HEADER};
use crate::authz::PolicyBundle;
use crate::domain::{
    AccountId, AgentId, ApiKeyId, ContactId, InvitationId, ServiceId, SupportAccessId, UserId,
};
use crate::domain::{ActionName, GrantName};

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// An error's details.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code: `invalid_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`,
    /// `gone`, `invalid_policies`, `unavailable`, `internal`.
    pub code: String,
    /// For people.
    pub message: String,
    /// With `invalid_request`: the field at fault (`checks[3].action`, `grants[1]`, `topic`).
    pub field: Option<String>,
    /// With `forbidden`: ids of the policies that decided.
    pub reasons: Option<Vec<String>>,
    /// With `invalid_policies`: one `file:line:col: message` per problem.
    pub problems: Option<Vec<String>>,
}

/// The error answers any route may give.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ApiErrors {
    /// Malformed input; `field` names it.
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// No or unknown bearer token.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// Not allowed; `reasons` names the deciding policies.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// Unknown id or route.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// A method the route does not take; `field` is `method`.
    #[response(status = 405)]
    MethodNotAllowed(ErrorBody),
    /// The body did not arrive in time; `field` is `body`.
    #[response(status = 408)]
    RequestTimeout(ErrorBody),
    /// Clashes with what is stored.
    #[response(status = 409)]
    Conflict(ErrorBody),
    /// No longer usable (expired or cancelled invitation).
    #[response(status = 410)]
    Gone(ErrorBody),
    /// The body is over 1 MiB; `field` is `body`.
    #[response(status = 413)]
    PayloadTooLarge(ErrorBody),
    /// The request line is over 8 KiB; `field` is `uri`.
    #[response(status = 414)]
    UriTooLong(ErrorBody),
    /// An invalid policy set (reload).
    #[response(status = 422)]
    InvalidPolicies(ErrorBody),
    /// Headers over 16 KiB or 100 lines; `field` is `headers`.
    #[response(status = 431)]
    HeadersTooLarge(ErrorBody),
    /// Unexpected; logged.
    #[response(status = 500)]
    Internal(ErrorBody),
    /// The database cannot answer now; retry.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// The document's fixed parts; paths come from the router.
#[derive(OpenApi)]
#[openapi(
    info(title = "Portier", description = "Authorization for hosting client areas: allow or deny from Cedar policies over accounts, members and grants."),
    security(("bearer" = [])),
    components(schemas(ErrorBody, ErrorDetail, UserId, AccountId, ServiceId, InvitationId, ContactId, ApiKeyId, AgentId, SupportAccessId, GrantName, ActionName)),
    modifiers(&BearerAndActor),
)]
pub struct ApiDoc;

/// Adds the bearer scheme, and the optional actor header to every management route.
struct BearerAndActor;

impl Modify for BearerAndActor {
    fn modify(&self, spec: &mut Spec) {
        let components = spec.components.get_or_insert_with(Default::default);
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("A token with the `check` or `admin` scope."))
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        let unauthenticated_or_check = [
            "/v1/check",
            "/v1/check/batch",
            "/v1/allowed-actions",
            "/v1/invitations/accept",
            "/v1/admin/reload",
        ];
        for (path, item) in spec.paths.paths.iter_mut() {
            let management = path.starts_with("/v1/")
                && !unauthenticated_or_check.contains(&path.as_str())
                && path != "/v1/role-presets";
            let acting = management || path == "/v1/invitations/accept";
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten().filter(|_| acting) {
                let parameters = operation.parameters.get_or_insert_with(Vec::new);
                if management {
                    parameters.push(
                        header(
                            ACTOR_HEADER,
                            "The portal user acting; absent, an admin token acts as hosting staff.",
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .min_length(Some(1))
                                .max_length(Some(128))
                                .pattern(Some(r"^[^\s\x22\\]+$")),
                        )
                        .into(),
                    );
                    parameters.push(
                        header(
                            AGENT_HEADER,
                            "The support agent acting (never with X-Portier-Actor); absent with it, an admin token acts as hosting staff.",
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .min_length(Some(1))
                                .max_length(Some(128))
                                .pattern(Some(r"^[^\s\x22\\]+$")),
                        )
                        .into(),
                    );
                }
                parameters.push(header(
                    MFA_HEADER,
                    "The acting user's session passed a second factor (the portal vouches for it).",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(["true", "false"])),
                ).into());
                parameters.push(
                    header(
                        CLIENT_IP_HEADER,
                        "The IPv4 or IPv6 address the acting user's session comes from.",
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .max_length(Some(45)),
                    )
                    .into(),
                );
            }
        }
    }
}

/// An optional header parameter.
fn header(name: &str, description: &str, schema: ObjectBuilder) -> Parameter {
    let mut parameter = Parameter::new(name);
    parameter.parameter_in = ParameterIn::Header;
    parameter.description = Some(description.into());
    parameter.schema = Some(schema.into());
    parameter
}

/// The document with the grants and actions of the policy set in force.
pub fn with_policy_names(mut spec: Spec, bundle: &PolicyBundle) -> Spec {
    let enum_of = |values: Vec<&str>| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values))
            .into()
    };
    if let Some(components) = spec.components.as_mut() {
        components.schemas.insert(
            "GrantName".into(),
            enum_of(bundle.grants().iter().map(String::as_str).collect()),
        );
        components
            .schemas
            .insert("ActionName".into(), enum_of(bundle.action_ids()));
    }
    spec
}
