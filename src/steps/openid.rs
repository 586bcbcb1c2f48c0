//! What the OpenID Connect areas share (`id_token`, `userinfo`,
//! `oidc_discovery`, `authentication_request`): the provider's configuration
//! (OpenID Connect Discovery 1.0 §4), an authentication request walked and
//! redeemed (Core §3.1.2, §3.1.3), the ID token it brought, and how the
//! harness verifies that token's signature (Core §2, §10.1) with its own
//! JOSE code.

use cucumber::given;
use serde_json::{Map, Value, json};
use url::Url;

use super::clients::TestClient;
use super::control::ControlKind;
use super::outcome::{skip, skip_with, unmet, unmet_with};
use super::tokens::describe_token_answer;
use super::{Finding, Spec, fail};
use crate::driver::flow::TokenResponse;
use crate::driver::forms::ConsentChoice;
use crate::driver::http::HttpRequest;
use crate::jose::{Alg, Jwk, JwkSet, Jws};
use crate::protocol::{Scope, random_token};
use crate::target::discovery::well_known_urls;
use crate::target::{Endpoint, TargetKind};

/// The provider's configuration document as this scenario fetched it.
#[derive(Clone, Debug)]
pub struct ProviderConfig {
    pub url: Url,
    pub status: u16,
    pub content_type: Option<String>,
    /// The body, if it was a JSON object.
    pub doc: Option<Map<String, Value>>,
}

impl ProviderConfig {
    /// A member that is a string.
    pub fn str(&self, member: &str) -> Option<&str> {
        self.doc.as_ref()?.get(member)?.as_str()
    }

    /// A member that is an array, as strings (other values shown as JSON).
    pub fn strings(&self, member: &str) -> Option<Vec<String>> {
        let list = self.doc.as_ref()?.get(member)?.as_array()?;
        Some(
            list.iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect(),
        )
    }
}

/// One authentication request, walked and redeemed.
#[derive(Clone, Debug)]
pub struct OpenIdLogin {
    pub client: TestClient,
    pub nonce: String,
    pub tokens: TokenResponse,
}

impl OpenIdLogin {
    /// The ID token of the token response, or a FAIL saying there is none
    /// (Core §3.1.3.3) or that it is not a JWS.
    pub fn id_token(&self) -> IdToken {
        IdToken::of(&self.tokens)
    }
}

/// An ID token as the harness reads it: a compact JWS and its claims.
#[derive(Clone, Debug)]
pub struct IdToken {
    pub jws: Jws,
    pub claims: Map<String, Value>,
}

impl IdToken {
    /// The ID token of a token response; a FAIL when there is none or it is
    /// not a JWS with a JSON object of claims.
    pub fn of(tokens: &TokenResponse) -> IdToken {
        let Some(compact) = tokens.id_token.as_deref() else {
            fail(Finding::new(
                "a token response to an authentication request includes id_token (OpenID Connect Core §3.1.3.3)",
                "an id_token member",
                format!(
                    "members: {}",
                    tokens
                        .raw
                        .as_object()
                        .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
                        .unwrap_or_default()
                ),
            ))
        };
        Self::parse(compact).unwrap_or_else(|why| {
            fail(Finding::new(
                "the ID token is a JWT: a JWS in compact serialization whose payload is a JSON object of claims (OpenID Connect Core §2)",
                "header.payload.signature, base64url, a JSON object of claims",
                why,
            ))
        })
    }

    /// Parses a compact ID token.
    pub fn parse(compact: &str) -> Result<IdToken, String> {
        let jws = Jws::parse(compact).map_err(|e| e.to_string())?;
        let claims = jws
            .claims()
            .ok_or_else(|| "the payload is not a JSON object".to_owned())?;
        Ok(IdToken { jws, claims })
    }

    pub fn alg(&self) -> Option<&str> {
        self.jws.alg()
    }

    /// A claim that is a string.
    pub fn str(&self, claim: &str) -> Option<&str> {
        self.claims.get(claim)?.as_str()
    }

    /// A claim that is a JSON number of seconds (an integer, or a number
    /// with a fraction, which NumericDate allows: RFC 7519 §2).
    pub fn time(&self, claim: &str) -> Option<i64> {
        let v = self.claims.get(claim)?;
        #[allow(clippy::cast_possible_truncation)]
        v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
    }

    /// A claim as JSON, for findings (`(absent)` when missing).
    pub fn shown(&self, claim: &str) -> String {
        self.claims
            .get(claim)
            .map_or_else(|| "(absent)".to_owned(), Value::to_string)
    }
}

/// What the OpenID Connect areas keep between their steps.
#[derive(Debug, Default)]
pub struct OpenIdState {
    config: Option<ProviderConfig>,
    /// The authentication requests of the scenario, oldest first.
    pub logins: Vec<OpenIdLogin>,
}

impl Spec {
    /// The provider's configuration at the issuer plus
    /// `/.well-known/openid-configuration` (Discovery §4), fetched once per
    /// scenario (so the exchange is in its evidence). Any answer is kept;
    /// [`Spec::require_provider`] decides whether there is a provider.
    pub async fn openid_configuration(&mut self) -> ProviderConfig {
        if let Some(c) = &self.area::<OpenIdState>().config {
            return c.clone();
        }
        if self.target().profile.kind != TargetKind::OAuth {
            skip("the target is not an OAuth authorization server, so it is no OpenID Provider");
        }
        let Some(issuer) = self.target().profile.issuer.clone() else {
            skip_with(
                "the profile names no issuer, so there is no OpenID Provider configuration to read",
                "give the server's issuer in the profile",
            );
        };
        let url = well_known_urls(&issuer)
            .pop()
            .unwrap_or_else(|| unmet("harness bug: no well-known URL for the issuer"));
        let answer = self.send(HttpRequest::get(url.clone())).await;
        let Some(status) = answer.status else {
            unmet(format!(
                "the OpenID Provider configuration at {url} did not answer: {}",
                answer.no_answer.as_deref().unwrap_or("no answer")
            ));
        };
        let config = ProviderConfig {
            url,
            status,
            content_type: answer.content_type().map(str::to_owned),
            doc: answer.json().and_then(|v| match v {
                Value::Object(m) => Some(m),
                _ => None,
            }),
        };
        self.area::<OpenIdState>().config = Some(config.clone());
        config
    }

    /// The provider's configuration; a SKIP when the target serves none
    /// (a 404, or anything that is not a JSON object): it is then not
    /// checked as an OpenID Provider.
    pub async fn require_provider(&mut self) -> ProviderConfig {
        let config = self.openid_configuration().await;
        if config.doc.is_none() {
            skip_with(
                format!(
                    "the target serves no OpenID Provider configuration at {} (status {}): it is not checked as an OpenID Provider",
                    config.url, config.status
                ),
                "nothing to change if the target is not an OpenID Provider; if it is, check the profile's issuer (Discovery §4 puts the document at the issuer plus /.well-known/openid-configuration)",
            );
        }
        config
    }

    /// The scope of an authentication request of `client`: `openid` and
    /// the client's own scope.
    fn openid_scope(client: &TestClient) -> Scope {
        let mut tokens = vec!["openid".to_owned()];
        if let Some(s) = &client.scope {
            tokens.extend(s.tokens().map(str::to_owned));
        }
        Scope::new(tokens)
    }

    /// A correct authentication request of `client`: the client's
    /// authorization request with `openid` in its scope and a fresh nonce,
    /// and the nonce.
    pub fn authentication_request(
        &self,
        client: &TestClient,
    ) -> (super::state::PendingAuthorization, String) {
        let mut pending = self.new_authorization(client);
        let nonce = random_token(16);
        pending.request = pending
            .request
            .clone()
            .set("scope", &Self::openid_scope(client).to_string())
            .set("nonce", &nonce);
        (pending, nonce)
    }

    /// Walks an authentication request of the scenario's client with
    /// these extra parameters through login and consent and redeems the
    /// code, as setup: a walk or an exchange that does not work is a setup
    /// error. Keeps the login ([`OpenIdState::logins`]).
    pub async fn openid_login(&mut self, extra: &[(&str, &str)]) -> OpenIdLogin {
        self.require_provider().await;
        let client = self.client();
        let (mut pending, nonce) = self.authentication_request(&client);
        for (k, v) in extra {
            pending.request = pending.request.clone().set(k, v);
        }
        self.flow.pending = Some(pending);
        self.walk(ConsentChoice::Approve).await;
        let code = self.setup_code();
        self.control_held(
            ControlKind::AuthorizationCode(client.id.clone()),
            "a redirect to the client with a code",
        );
        let verifier = self.flow.verifier.take();
        let res = self.exchange(&client, &code, verifier.as_ref()).await;
        let Some(tokens) = res.success().cloned() else {
            unmet_with(
                format!(
                    "the code of an authentication request of {} was not exchanged for tokens: {}",
                    client.id,
                    describe_token_answer(&res)
                ),
                "check the client's secret, auth_method, redirect_uri and scope in the profile (the harness adds openid to the scope)",
            );
        };
        self.control_held(
            ControlKind::TokenEndpoint(client.id.clone()),
            format!("{} with tokens for a genuine code", res.status),
        );
        let login = OpenIdLogin {
            client,
            nonce,
            tokens,
        };
        self.area::<OpenIdState>().logins.push(login.clone());
        login
    }

    /// The scenario's `n`th login (from 0).
    pub fn openid_logins(&mut self) -> Vec<OpenIdLogin> {
        self.area::<OpenIdState>().logins.clone()
    }

    /// The last login of the scenario.
    pub fn last_openid_login(&mut self) -> OpenIdLogin {
        self.area::<OpenIdState>()
            .logins
            .last()
            .cloned()
            .unwrap_or_else(|| unmet("harness bug: no authentication request was made"))
    }

    /// The provider's JWK Set: the target's jwks_uri, or the
    /// configuration's. A set the harness cannot read is a setup error (the
    /// `jwks` area judges the set itself).
    pub async fn provider_keys(&mut self) -> JwkSet {
        let config = self.require_provider().await;
        let url = match self.target().endpoints.get(Endpoint::Jwks) {
            Some(u) => u.clone(),
            None => config
                .str("jwks_uri")
                .and_then(|s| Url::parse(s).ok())
                .unwrap_or_else(|| {
                    unmet("the provider names no usable jwks_uri, so its signatures cannot be checked (the oidc_discovery area judges that)")
                }),
        };
        let answer = self.send(HttpRequest::get(url.clone())).await;
        let Some(json) = answer.json().filter(|_| answer.status_is(200)) else {
            unmet(format!(
                "the provider's key set at {url} could not be read: {}",
                answer.describe()
            ));
        };
        JwkSet::parse(&json).unwrap_or_else(|e| {
            unmet(format!(
                "the provider's key set at {url} is not a usable JWK Set ({e}); the jwks area says why"
            ))
        })
    }

    /// Verifies an ID token's signature the way a client must (Core
    /// §3.1.3.7 step 6, §10.1): with the provider's key its header names,
    /// or, for HMAC, with the client's secret. `Err` says why it does not
    /// verify.
    pub async fn verify_id_token(
        &mut self,
        token: &IdToken,
        client: &TestClient,
    ) -> Result<Alg, String> {
        let asymmetric = token
            .alg()
            .and_then(Alg::parse)
            .is_some_and(|a| !a.is_hmac());
        let keys = if asymmetric {
            Some(self.provider_keys().await)
        } else {
            None
        };
        let secret = client.secret.as_ref().map(|s| s.secret().to_owned());
        verify_signature(token, keys.as_ref(), secret.as_deref(), client.id.as_str())
    }
}

#[given("the target is an OpenID Provider")]
async fn provider(w: &mut Spec) {
    w.require_provider().await;
}

#[given("the user has logged in for an authentication request with the openid scope")]
async fn logged_in(w: &mut Spec) {
    let login = w.openid_login(&[]).await;
    if login.tokens.id_token.is_none() {
        unmet("the provider issued no ID token to compare with (the id_token area judges that)");
    }
}

/// Verifies `token`'s signature: with the key of `keys` its header names
/// (its `kid`, or the only key), or, for HMAC, with `secret`, the client's
/// (OpenID Connect Core §10.1: "the octets of the UTF-8 representation of
/// the client_secret"). `alg: none` never verifies: the harness never
/// registers for unsigned ID tokens (Core §2). `Err` says why.
pub fn verify_signature(
    token: &IdToken,
    keys: Option<&JwkSet>,
    secret: Option<&str>,
    client_id: &str,
) -> Result<Alg, String> {
    let alg_name = token.alg().unwrap_or("(absent)");
    if alg_name == "none" {
        return Err(
            "alg none: the ID token is unsigned, and the harness never registers for unsigned ID tokens".into(),
        );
    }
    let alg =
        Alg::parse(alg_name).ok_or_else(|| format!("alg {alg_name:?} is not a JWS algorithm"))?;
    if alg.is_hmac() {
        let Some(secret) = secret else {
            return Err(format!(
                "{alg_name} needs the client's secret (Core §10.1), and {client_id} is a public client with none"
            ));
        };
        let key = Jwk::parse(&json!({
            "kty": "oct",
            "k": crate::jose::b64e(secret.as_bytes()),
        }))
        .map_err(|e| e.to_string())?;
        return token
            .jws
            .verify(&key)
            .map_err(|e| format!("with the client's secret: {e}"));
    }
    let Some(keys) = keys else {
        return Err("harness bug: no key set to verify with".into());
    };
    let kid = token.jws.kid();
    let Some(key) = keys.select(kid) else {
        let kids: Vec<String> = keys
            .keys
            .iter()
            .map(|k| k.kid.clone().unwrap_or_else(|| "(no kid)".into()))
            .collect();
        return Err(format!(
            "no key of the provider's set matches kid {} (the set's kids: {})",
            kid.unwrap_or("(absent, and the set has several keys)"),
            kids.join(", ")
        ));
    };
    token.jws.verify(key).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{IdToken, verify_signature};
    use crate::jose::{Alg, JwkSet, Signer, jws};

    const CLAIMS: &[u8] = br#"{"iss":"https://op.example","sub":"alice","aud":"c1"}"#;

    fn signed(alg: Alg, signer: &Signer, kid: &str) -> IdToken {
        let header = json!({"alg": alg.as_str(), "kid": kid, "typ": "JWT"});
        IdToken::parse(&jws::sign(&header, CLAIMS, signer).expect("signs")).expect("parses")
    }

    fn set_of(signer: &Signer, kid: &str) -> JwkSet {
        let mut jwk = signer.public_jwk().expect("asymmetric");
        jwk["kid"] = json!(kid);
        JwkSet::parse(&json!({"keys": [jwk]})).expect("a key set")
    }

    #[test]
    fn every_asymmetric_algorithm_verifies_with_the_published_key_only() {
        for alg in [Alg::RS256, Alg::PS256, Alg::ES256, Alg::EdDSA] {
            let key = Signer::generate(alg).expect("a key");
            let other = Signer::generate(alg).expect("another key");
            let token = signed(alg, &key, "k1");
            assert_eq!(
                verify_signature(&token, Some(&set_of(&key, "k1")), None, "c1"),
                Ok(alg),
                "{alg:?}"
            );
            assert!(
                verify_signature(&token, Some(&set_of(&other, "k1")), None, "c1").is_err(),
                "{alg:?}: another key under the same kid"
            );
            let why = verify_signature(&token, Some(&set_of(&key, "k2")), None, "c1")
                .expect_err("no key with that kid");
            assert!(why.contains("matches kid k1"), "{why}");
        }
    }

    #[test]
    fn hmac_verifies_with_the_client_secret_and_none_never_verifies() {
        let secret = "a-client-secret-of-thirty-two-bytes!";
        let token = signed(
            Alg::HS256,
            &Signer::Hmac(secret.as_bytes().to_vec()),
            "ignored",
        );
        assert_eq!(
            verify_signature(&token, None, Some(secret), "c1"),
            Ok(Alg::HS256)
        );
        assert!(
            verify_signature(
                &token,
                None,
                Some("another-secret-of-thirty-two-bytes"),
                "c1"
            )
            .is_err()
        );
        let why = verify_signature(&token, None, None, "c1").expect_err("public client");
        assert!(why.contains("public client"), "{why}");
        let unsigned =
            IdToken::parse(&jws::unsecured(&json!({"alg": "none"}), CLAIMS)).expect("parses");
        let why = verify_signature(&unsigned, None, Some(secret), "c1").expect_err("none");
        assert!(why.starts_with("alg none"), "{why}");
    }
}
