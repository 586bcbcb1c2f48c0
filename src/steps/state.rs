//! [`Flow`]: the typed state the shared steps hand to each other within a
//! scenario. State that only one area uses lives in that area's file (see
//! [`super::Spec::area`]).

use super::answer::Answer;
use super::api::{Genuine, Presented};
use super::clients::TestClient;
use crate::driver::flow::{
    AuthorizationOutcome, AuthorizationRequest, EndpointResponse, TokenResponse,
};
use crate::protocol::{PkceCodeVerifier, RefreshToken, Scope};
use crate::target::profile::ResourceProfile;

/// A pending authorization request: the URL parameters and the PKCE
/// verifier that belongs to them (never cloned, RFC 7636 §4.1).
#[derive(Debug)]
pub struct PendingAuthorization {
    pub request: AuthorizationRequest,
    pub verifier: Option<PkceCodeVerifier>,
    pub state: String,
    /// Where the response is expected (the request's redirect URI).
    pub redirect_uri: String,
    /// Sent as a POST form rather than a GET (Core §3.1.2.1).
    pub post: bool,
}

/// The typed state of a scenario.
#[derive(Debug, Default)]
pub struct Flow {
    /// The scenario's client.
    pub client: Option<TestClient>,
    /// A second client, with a different client id.
    pub other_client: Option<TestClient>,
    /// The authorization request being prepared.
    pub pending: Option<PendingAuthorization>,
    /// How the last walk through the authorization endpoint ended.
    pub outcome: Option<AuthorizationOutcome>,
    /// The verifier that went with the last authorization request.
    pub verifier: Option<PkceCodeVerifier>,
    /// The `state` of the last authorization request sent.
    pub last_state: Option<String>,
    /// The last token-endpoint answer.
    pub token_answer: Option<EndpointResponse<TokenResponse>>,
    /// Whether the last token request authenticated with the `Authorization`
    /// header (then a failure must be 401, RFC 6749 §5.2); `None` if unknown.
    pub last_token_used_basic: Option<bool>,
    /// Tokens, oldest first, as the scenario obtained them.
    pub tokens: Vec<TokenResponse>,
    /// Refresh tokens the client has presented, oldest first.
    pub used_refresh: Vec<RefreshToken>,
    /// The last answer of a protected resource, and which resource.
    pub resource_answer: Option<(ResourceProfile, Answer)>,
    /// The last introspection answer.
    pub introspection: Option<Answer>,
    /// The last revocation answer.
    pub revocation: Option<Answer>,
    /// The narrower scope a scenario asked for.
    pub narrow_scope: Option<Scope>,
    /// The refresh-token lifetime the harness set through a test-admin API.
    pub refresh_lifetime_set: Option<u64>,
    /// The code lifetime the harness set through a test-admin API.
    pub code_lifetime_set: Option<u64>,
    /// The genuine tokens an attack on the API starts from.
    pub genuine: Option<Genuine>,
    /// Tokens presented to the API and what it answered, in order.
    pub presented: Vec<Presented>,
}
