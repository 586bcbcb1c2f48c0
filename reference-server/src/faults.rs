//! Deliberate defects, for proving that the spec sees what it claims to
//! check (`oauthspec serve --fault NAME`, `oauthspec faults`).
//!
//! Each fault breaks exactly one requirement, through the server's normal
//! code paths: handlers ask [`Faults::has`] at the one point where the rule
//! is enforced. With no fault the check is a load of one word and a bit test.

use std::fmt;

macro_rules! catalogue {
    ($( $variant:ident = $name:literal, $area:literal, $breaks:literal; )*) => {
        /// Every injectable fault.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fault { $( $variant, )* }

        impl Fault {
            /// All faults, in catalogue order.
            pub const ALL: &'static [Fault] = &[ $( Fault::$variant, )* ];

            /// The name used on the command line.
            pub fn name(self) -> &'static str {
                match self { $( Fault::$variant => $name, )* }
            }

            /// The area of the spec (a `features/<area>.feature`) that must catch it.
            pub fn area(self) -> &'static str {
                match self { $( Fault::$variant => $area, )* }
            }

            /// The requirement it breaks.
            pub fn breaks(self) -> &'static str {
                match self { $( Fault::$variant => $breaks, )* }
            }
        }
    };
}

catalogue! {
    // authorization endpoint and codes
    CodeReuseAccepted = "code-reuse-accepted", "authorization_code",
        "RFC 6749 §4.1.2: an authorization code is used once; a second redemption is refused";
    CodeReuseKeepsTokens = "code-reuse-keeps-tokens", "authorization_code",
        "RFC 6749 §4.1.2: tokens issued from a code that is redeemed twice are revoked";
    CodeNotBoundToClient = "code-not-bound-to-client", "authorization_code",
        "RFC 6749 §4.1.3: the code is redeemed only by the client it was issued to";
    CodeRedirectUriNotChecked = "code-redirect-uri-not-checked", "authorization_code",
        "RFC 6749 §4.1.3: redirect_uri at the token endpoint must equal the authorization request's";
    ExpiredCodeAccepted = "expired-code-accepted", "authorization_code",
        "RFC 6749 §4.1.2: an authorization code expires shortly after it is issued";
    RedirectUriPrefixMatch = "redirect-uri-prefix-match", "authorization_code",
        "RFC 9700 §4.1.3: redirect URIs are compared by exact string match";
    ErrorRedirectUnregistered = "error-redirect-unregistered", "authorization_code",
        "RFC 6749 §4.1.2.1: errors are never redirected to an unverified redirect URI";
    StateNotEchoed = "state-not-echoed", "authorization_code",
        "RFC 6749 §4.1.2: the authorization response carries the client's state";
    IssMissing = "iss-missing", "authorization_code",
        "RFC 9207 §2: the authorization response carries iss";
    DuplicateParamsAccepted = "duplicate-params-accepted", "authorization_code",
        "RFC 6749 §3.1: a repeated request parameter is refused";
    UnknownParameterRefused = "unknown-parameter-refused", "authorization_code",
        "RFC 6749 §3.1: unrecognized request parameters are ignored (this one refuses them with invalid_request)";
    // PKCE
    PkceNotVerified = "pkce-not-verified", "pkce",
        "RFC 7636 §4.6: the code_verifier must match the code_challenge";
    PkceMissingAccepted = "pkce-missing-accepted", "pkce",
        "RFC 9700 §2.1.1: authorization requests without a code_challenge are refused";
    // refresh tokens
    RefreshNotRotated = "refresh-not-rotated", "refresh",
        "RFC 9700 §4.14.2: refresh tokens are rotated on every use";
    RefreshReuseUndetected = "refresh-reuse-undetected", "refresh",
        "RFC 9700 §4.14.2: replaying a rotated-out refresh token revokes its family";
    RefreshScopeWidening = "refresh-scope-widening", "refresh",
        "RFC 6749 §6: a refresh cannot widen the originally granted scope";
    RefreshScopeNotKept = "refresh-scope-not-kept", "refresh",
        "RFC 6749 §6: a refresh token issued on refresh has the scope of the one it replaced (this one narrows it with the access token)";
    RefreshNotBoundToClient = "refresh-not-bound-to-client", "refresh",
        "RFC 6749 §6: a refresh token is bound to the client it was issued to";
    RefreshWithoutClientAuth = "refresh-without-client-auth", "refresh",
        "RFC 6749 §6: a confidential client must authenticate to refresh";
    ExpiredRefreshAccepted = "expired-refresh-accepted", "expiry",
        "RFC 6749 §6: an expired refresh token is refused";
    // client authentication and grants
    InvalidClient400 = "invalid-client-400", "client_authentication",
        "RFC 6749 §5.2: failed client authentication is 401 invalid_client";
    InvalidClientNoChallenge = "invalid-client-no-challenge", "client_authentication",
        "RFC 6749 §5.2: a 401 invalid_client carries a WWW-Authenticate challenge";
    WrongSecretAccepted = "wrong-secret-accepted", "client_authentication",
        "RFC 6749 §2.3.1: a wrong client secret fails authentication";
    ClientCredentialsPublic = "client-credentials-public", "client_credentials",
        "RFC 6749 §4.4: only confidential clients may use client_credentials";
    UnknownScopeAccepted = "unknown-scope-accepted", "scopes",
        "RFC 6749 §3.3: a server that grants other scopes than asked says so in scope (this one drops unknown scopes silently)";
    // token responses
    NoStoreMissing = "no-store-missing", "token_response",
        "RFC 6749 §5.1: token responses carry Cache-Control: no-store";
    ErrorDescriptionCrlf = "error-description-crlf", "token_response",
        "RFC 6749 §5.2: error_description has no characters outside %x20-21 / %x23-5B / %x5D-7E";
    // discovery and keys
    DiscoveryWrongIssuer = "discovery-wrong-issuer", "discovery",
        "RFC 8414 §3.3: the metadata's issuer equals the issuer it was fetched for";
    JwksPrivateKey = "jwks-private-key", "jwks",
        "RFC 7517 §4, RFC 8725 §3: a published JWK Set has no private key material";
    JwksDuplicateKid = "jwks-duplicate-kid", "jwks",
        "RFC 7517 §4.5: keys of a JWK Set have distinct kids";
    // registration
    RegistrationFragmentAccepted = "registration-fragment-accepted", "registration",
        "RFC 6749 §3.1.2: a redirect URI has no fragment";
    RegistrationPlainHttpAccepted = "registration-plain-http-accepted", "registration",
        "RFC 9700 §2.6, RFC 8252 §7.3: plain-http redirect URIs only to loopback";
    RegistrationInconsistentAccepted = "registration-inconsistent-accepted", "registration",
        "RFC 7591 §2.1: grant_types and response_types must be consistent";
    RegistrationManagementUnauthenticated = "registration-management-unauthenticated", "registration",
        "RFC 7592 §2: reading a registration needs the registration access token";
    // revocation and introspection
    RevocationNoop = "revocation-noop", "revocation",
        "RFC 7009 §2.1: a revoked token stops working";
    RevocationRefreshKeepsFamily = "revocation-refresh-keeps-family", "revocation",
        "RFC 7009 §2.1: revoking a refresh token invalidates the access tokens of its grant";
    RevocationUnauthenticated = "revocation-unauthenticated", "revocation",
        "RFC 7009 §2.1: the revocation endpoint authenticates the client";
    IntrospectionUnauthenticated = "introspection-unauthenticated", "introspection",
        "RFC 7662 §2.1: the introspection endpoint requires authorization";
    IntrospectionPublicClient = "introspection-public-client", "introspection",
        "RFC 7662 §2.1: introspection requires authorization, which naming a public client is not";
    IntrospectionLeaksInactive = "introspection-leaks-inactive", "introspection",
        "RFC 7662 §2.2: an inactive token gives exactly {\"active\": false}";
    ExpiredTokenIntrospectsActive = "expired-token-introspects-active", "expiry",
        "RFC 7662 §2.2: an expired token is inactive";
    // resource server
    ExpNotChecked = "exp-not-checked", "expiry",
        "RFC 9068 §4, RFC 7519 §4.1.4: the resource server refuses expired tokens";
    RsScopeIgnored = "rs-scope-ignored", "scopes",
        "RFC 6750 §3.1: a token without the needed scope is refused with insufficient_scope";
    RsInsufficientScope401 = "rs-insufficient-scope-401", "scopes",
        "RFC 6750 §3.1: insufficient scope is 403, not 401";
    RsChallengeMissing = "rs-challenge-missing", "scopes",
        "RFC 6750 §3: a 401 from a protected resource carries a Bearer challenge";
    // JWT attacks on the resource server (RFC 8725)
    AlgNoneAccepted = "alg-none-accepted", "jwt_attacks",
        "RFC 8725 §3.1: a token with alg none (in any case) is never accepted";
    HmacPublicKeyAccepted = "hmac-public-key-accepted", "jwt_attacks",
        "RFC 8725 §2.1, §3.1: an HS256 token keyed with the server's public key is refused (algorithm confusion)";
    SignatureNotVerified = "signature-not-verified", "jwt_attacks",
        "RFC 7515 §5.2, RFC 9068 §4: the resource server verifies the token's signature";
    EmbeddedJwkTrusted = "embedded-jwk-trusted", "jwt_attacks",
        "RFC 8725 §3.10 (CVE-2018-0114): a key embedded in the token's jwk header is never trusted";
    JkuFollowed = "jku-followed", "jwt_attacks",
        "RFC 8725 §3.10: a jku URL from the token is never fetched or trusted";
    KidPathTraversal = "kid-path-traversal", "jwt_attacks",
        "RFC 8725 §3.10: a kid is looked up among the server's own keys, never as a file path";
    CritIgnored = "crit-ignored", "jwt_attacks",
        "RFC 7515 §4.1.11: a token naming an unknown crit extension is refused";
    // claims and transport at the resource server
    TypNotChecked = "typ-not-checked", "resource_server",
        "RFC 9068 §4, RFC 8725 §3.11: a token whose typ is not at+jwt is refused as an access token";
    IssNotChecked = "iss-not-checked", "resource_server",
        "RFC 9068 §4: a token whose iss is not the expected issuer is refused";
    AudNotChecked = "aud-not-checked", "resource_server",
        "RFC 9068 §4, RFC 7519 §4.1.3: a token for another audience is refused";
    NbfNotChecked = "nbf-not-checked", "resource_server",
        "RFC 7519 §4.1.5: a token is refused before its nbf";
    ExpMissingAccepted = "exp-missing-accepted", "resource_server",
        "RFC 9068 §2.2, §4: exp is required; a token without it is refused";
    QueryTokenAccepted = "query-token-accepted", "resource_server",
        "RFC 6750 §2.3: an answer to a request with its token in the query string is Cache-Control: private (this one takes such tokens, and caches may keep the answer)";
    MalformedToken500 = "malformed-token-500", "resource_server",
        "RFC 6750 §3.1: a malformed token is answered 401 invalid_token, never with a server error";
    BearerSchemeCaseSensitive = "bearer-scheme-case-sensitive", "resource_server",
        "RFC 9110 §11.1, RFC 6750 §2.1: the Bearer scheme name is matched case-insensitively";
    // the server as a relying party of an upstream provider
    UpstreamStateNotChecked = "upstream-state-not-checked", "upstream_login",
        "RFC 6749 §10.12: the state of an upstream provider's answer must equal the one sent";
    UpstreamIdTokenSignatureNotVerified = "upstream-id-token-signature-not-verified", "upstream_login",
        "OpenID Connect Core §3.1.3.7: an upstream ID token's signature is verified with the provider's keys";
    UpstreamNonceIgnored = "upstream-nonce-ignored", "upstream_login",
        "OpenID Connect Core §3.1.3.7: an upstream ID token's nonce must equal the one sent";
    // ID tokens (the server as an OpenID Provider)
    IdTokenMissing = "id-token-missing", "id_token",
        "OpenID Connect Core §3.1.3.3: a token response to an openid request carries an id_token";
    IdTokenUnsigned = "id-token-unsigned", "id_token",
        "OpenID Connect Core §2: ID tokens MUST be signed using JWS (this one is alg none)";
    IdTokenBadSignature = "id-token-bad-signature", "id_token",
        "OpenID Connect Core §3.1.3.7: the ID token's signature verifies with the issuer's published key";
    IdTokenWrongIssuer = "id-token-wrong-issuer", "id_token",
        "OpenID Connect Core §3.1.3.7: the ID token's iss exactly matches the issuer";
    IdTokenWrongAudience = "id-token-wrong-audience", "id_token",
        "OpenID Connect Core §2, §3.1.3.7: the ID token's aud contains the client_id";
    IdTokenExpired = "id-token-expired", "id_token",
        "OpenID Connect Core §2, §3.1.3.7: the ID token's exp is in the future when it is issued";
    IdTokenNonceDropped = "id-token-nonce-dropped", "id_token",
        "OpenID Connect Core §2: if the authentication request had a nonce, the ID token carries it unchanged";
    IdTokenAtHashWrong = "id-token-at-hash-wrong", "id_token",
        "OpenID Connect Core §3.1.3.6, §3.2.2.9: at_hash is the left half of the hash of the access token";
    IdTokenSubUnstable = "id-token-sub-unstable", "id_token",
        "OpenID Connect Core §2: sub is a locally unique, never reassigned identifier of the user (this one changes every time)";
    RefreshIdTokenNewAuthTime = "refresh-id-token-new-auth-time", "id_token",
        "OpenID Connect Core §12.2: a refreshed ID token keeps the auth_time of the original authentication";
    IdTokenAzpWrong = "id-token-azp-wrong", "id_token",
        "OpenID Connect Core §2: azp, if present, MUST contain the client_id of the party the ID token was issued to";
    // the UserInfo endpoint
    UserinfoSubMismatch = "userinfo-sub-mismatch", "userinfo",
        "OpenID Connect Core §5.3.2: the UserInfo sub MUST exactly match the ID token's sub";
    UserinfoPostRefused = "userinfo-post-refused", "userinfo",
        "OpenID Connect Core §5.3.1: the UserInfo endpoint MUST support GET and POST";
    UserinfoTokenNotChecked = "userinfo-token-not-checked", "userinfo",
        "OpenID Connect Core §5.3.3, RFC 6750 §3.1: a UserInfo request with an invalid access token is refused with invalid_token";
    // OpenID Provider discovery
    OidcDiscoveryRs256Missing = "oidc-discovery-rs256-missing", "oidc_discovery",
        "OpenID Connect Discovery §3: id_token_signing_alg_values_supported MUST include RS256";
    OidcDiscoverySubjectTypesMissing = "oidc-discovery-subject-types-missing", "oidc_discovery",
        "OpenID Connect Discovery §3: subject_types_supported is REQUIRED";
    OidcDiscoveryScopesWithoutOpenid = "oidc-discovery-scopes-without-openid", "oidc_discovery",
        "OpenID Connect Discovery §3: scopes_supported MUST include openid";
    OidcDiscoveryIssuerMismatch = "oidc-discovery-issuer-mismatch", "oidc_discovery",
        "OpenID Connect Discovery §4.3: the issuer in /.well-known/openid-configuration MUST be identical to the issuer it was fetched from";
    // authentication request parameters
    PromptNoneShowsLogin = "prompt-none-shows-login", "authentication_request",
        "OpenID Connect Core §3.1.2.1: with prompt=none the server MUST NOT display any authentication or consent page (this one treats prompt=none as absent)";
    MaxAgeIgnored = "max-age-ignored", "authentication_request",
        "OpenID Connect Core §3.1.2.1: if the time since the last authentication is greater than max_age, the OP MUST actively re-authenticate the End-User (this one reuses the login session)";
    SessionAuthTimeReset = "session-auth-time-reset", "authentication_request",
        "OpenID Connect Core §2: auth_time is the time of the End-User's authentication (this one gives the time of the request when a login session is reused)";
    AuthTimeMissing = "auth-time-missing", "authentication_request",
        "OpenID Connect Core §2, §3.1.2.1: with max_age the ID token carries auth_time (this server always sends it; this one never)";
    RequestObjectIgnored = "request-object-ignored", "authentication_request",
        "OpenID Connect Core §6.1: an OP that does not support the request parameter MUST return request_not_supported";
    RequestUriIgnored = "request-uri-ignored", "authentication_request",
        "OpenID Connect Core §6.2: an OP that does not support the request_uri parameter MUST return request_uri_not_supported";
    AuthorizePostRefused = "authorize-post-refused", "authentication_request",
        "OpenID Connect Core §3.1.2.1: the authorization endpoint MUST support GET and POST (this one answers POST with 405)";
    ClaimsParameterRefused = "claims-parameter-refused", "authentication_request",
        "OpenID Connect Core §5.5.1: the server MUST NOT generate an error when claims are asked for (this one refuses the claims parameter)";
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown fault {s:?} (`oauthspec faults` lists them)"))
    }
}

/// The set of faults a server runs with: a bit set, so asking is free.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults(u128);

impl Faults {
    pub fn none() -> Self {
        Self(0)
    }

    pub fn from_list(list: &[Fault]) -> Self {
        Self(list.iter().fold(0, |acc, f| acc | 1u128 << (*f as u32)))
    }

    /// Whether `fault` is in.
    #[inline]
    pub fn has(self, fault: Fault) -> bool {
        self.0 & (1u128 << (fault as u32)) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn list(self) -> Vec<Fault> {
        Fault::ALL
            .iter()
            .copied()
            .filter(|f| self.has(*f))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        assert!(Fault::ALL.len() <= 128);
        for f in Fault::ALL {
            assert_eq!(f.name().parse::<Fault>(), Ok(*f));
            assert_eq!(
                Fault::ALL.iter().filter(|g| g.name() == f.name()).count(),
                1
            );
            assert!(!f.breaks().is_empty());
        }
        let set = Faults::from_list(&[Fault::PkceNotVerified, Fault::RsChallengeMissing]);
        assert!(set.has(Fault::PkceNotVerified) && set.has(Fault::RsChallengeMissing));
        assert!(!set.has(Fault::CodeReuseAccepted));
        assert!(Faults::none().is_empty());
    }
}
