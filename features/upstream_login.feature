@upstream_login
Feature: Logging in through an upstream identity provider
  Many apps let their users "log in with Google": the app sends the user to
  the provider, the provider sends the user back with a code, and the app
  swaps the code for an ID token that says who the user is. The app must
  check everything the provider sends back (the state, the ID token's
  signature, issuer, audience, expiry and nonce), because an attacker can
  forge any of it. Here the harness plays the provider, honestly and then
  dishonestly. (OpenID Connect Core 1.0 §3.1, RFC 6749 §4.1, RFC 9700 §4.7)

  Every refusal is judged after an honest login through the same kind of
  provider succeeded in the same scenario. The fake provider is plain http on
  loopback, so the app cannot rely on TLS to vouch for the ID token and must
  check its signature.

  Background:
    Given a fake upstream identity provider

  @must @oidc-core-3.1.3.7 @rfc6749-4.1
  Scenario: A user logs in through the upstream provider
    OpenID Connect Core §3.1.3.7: "Clients MUST validate the ID Token in the Token
    Response" — and an honest one, once validated, logs the user in.
    Accepted: the login succeeds (for an authorization server: the client gets a code
    with its state, redeemable for tokens of the mapped user).

    When the user logs in through the upstream provider
    Then the login succeeds

  @must @security @oidc-core-3.1.3.7
  Scenario: An ID token signed by someone else's key is refused
    OpenID Connect Core §3.1.3.7: "The Client MUST validate the signature of all other
    ID Tokens according to JWS [JWS] using the algorithm specified in the JWT alg Header
    Parameter. The Client MUST use the keys provided by the Issuer." (TLS server
    validation MAY replace it only for an ID token fetched over TLS; the fake is http.)
    Accepted: the login refused.

    Given an honest login through the upstream provider succeeds
    And the upstream provider misbehaves with "bad-id-token-signature"
    When the user logs in through the upstream provider
    Then the login is refused

  @must @security @oidc-core-3.1.3.7 @oidc-core-15.5.2
  Scenario: An ID token minted for another login (wrong nonce) is refused
    OpenID Connect Core §3.1.3.7: "If a nonce value was sent in the Authentication
    Request, a nonce Claim MUST be present and its value checked to verify that it is
    the same value as the one that was sent in the Authentication Request."
    Accepted: the login refused. An app that sends no nonce SKIPs.

    Given an honest login through the upstream provider succeeds
    And the upstream provider misbehaves with "wrong-nonce"
    When the user logs in through the upstream provider
    Then the login is refused, if the app sent a nonce

  @must @security @oidc-core-3.1.3.7
  Scenario: An ID token meant for another client is refused
    OpenID Connect Core §3.1.3.7: "The ID Token MUST be rejected if the ID Token does
    not list the Client as a valid audience, or if it contains additional audiences not
    trusted by the Client."
    Accepted: the login refused.

    Given an honest login through the upstream provider succeeds
    And the upstream provider misbehaves with "wrong-aud"
    When the user logs in through the upstream provider
    Then the login is refused

  @must @security @oidc-core-3.1.3.7
  Scenario: An ID token from another issuer is refused
    OpenID Connect Core §3.1.3.7: "The Issuer Identifier for the OpenID Provider (which
    is typically obtained during Discovery) MUST exactly match the value of the iss
    (issuer) Claim."
    Accepted: the login refused.

    Given an honest login through the upstream provider succeeds
    And the upstream provider misbehaves with "wrong-iss"
    When the user logs in through the upstream provider
    Then the login is refused

  @must @security @oidc-core-3.1.3.7
  Scenario: An expired ID token is refused
    OpenID Connect Core §3.1.3.7: "The current time MUST be before the time represented
    by the exp Claim (possibly allowing for some small leeway to account for clock skew)."
    Accepted: the login refused.

    Given an honest login through the upstream provider succeeds
    And the upstream provider misbehaves with "expired-id-token"
    When the user logs in through the upstream provider
    Then the login is refused

  @must @security @rfc7518-3.6 @oidc-core-3.1.3.7
  Scenario: An unsigned ID token (alg none) is refused
    RFC 7518 §3.6: "Implementations MUST NOT accept Unsecured JWSs by default."
    Accepted: the login refused.

    Given an honest login through the upstream provider succeeds
    And the upstream provider misbehaves with "alg-none-id-token"
    When the user logs in through the upstream provider
    Then the login is refused

  @should @security @rfc6749-10.12 @rfc9700-2.1
  Scenario: An answer carrying another login's state is refused
    RFC 6749 §10.12: "The client SHOULD utilize the "state" request parameter to deliver
    this value to the authorization server when making an authorization request." (RFC
    9700 §2.1 lets a client rely on PKCE or the nonce instead, hence SHOULD.)
    Accepted: the login refused.

    Given an honest login through the upstream provider succeeds
    And the upstream provider misbehaves with "wrong-state"
    When the user logs in through the upstream provider
    Then the login is refused

  @must @security @oidc-core-3.1.3.7 @rfc6749-5.2
  Scenario: The provider's token endpoint failing ends the login
    OpenID Connect Core §3.1.3.7: "Clients MUST validate the ID Token in the Token
    Response": with no token response there is no ID token to validate, so no login.
    Accepted: the login refused.

    Given an honest login through the upstream provider succeeds
    And the upstream provider misbehaves with "server-error"
    When the user logs in through the upstream provider
    Then the login is refused

  @must @security @oidc-core-3.1.3.7 @rfc6749-5.2
  Scenario: The provider refusing the code ends the login
    OpenID Connect Core §3.1.3.7: "Clients MUST validate the ID Token in the Token
    Response": a refused code exchange brings no ID token, so no login.
    Accepted: the login refused.

    Given an honest login through the upstream provider succeeds
    And the upstream provider misbehaves with "wrong-code-exchange"
    When the user logs in through the upstream provider
    Then the login is refused

  @should @security @rfc6749-10.12 @rfc9700-4.7.1
  Scenario: An answer whose state was changed on the way back is refused
    RFC 6749 §10.12: "The client MUST implement CSRF protection for its redirection URI"
    and "SHOULD utilize the "state" request parameter" for it (RFC 9700 §2.1 lets PKCE
    or the nonce carry it instead, hence SHOULD).
    Accepted: the login refused.

    Given an honest login through the upstream provider succeeds
    When the user logs in through the upstream provider, and the state is changed on the way back
    Then the login is refused

  @must @security @oidc-core-3.1.3.7
  Scenario: A login on a forged ID token gives no access to the app's API
    OpenID Connect Core §3.1.3.7: "The Client MUST validate the signature of all other
    ID Tokens according to JWS [JWS] using the algorithm specified in the JWT alg Header
    Parameter. The Client MUST use the keys provided by the Issuer." Checked end to
    end: whatever the app hands out after such a login (its own token, or the code a
    client redeems) must not open its API, the "log in with Google, then our JWT" shape.
    Accepted: the login gives nothing, or the API refuses what it gave. An app whose
    profile names no API SKIPs.

    Given an honest login through the upstream provider gives a token the app's API accepts
    And the upstream provider misbehaves with "bad-id-token-signature"
    When the user logs in through the upstream provider
    Then the app's API accepts nothing that login gave
