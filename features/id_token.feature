@id_token
Feature: ID tokens
  OpenID Connect adds one thing to OAuth: the ID token, a signed JWT that says
  who logged in, at which provider, for which client, when, and in answer to
  which request. A client that asks for the openid scope gets one from the token
  endpoint and must be able to trust every claim in it, so the provider must
  sign it with a key it publishes and fill each claim as the spec defines it.
  (OpenID Connect Core 1.0 §2, §3.1.3)

  Every scenario logs the user in for an authentication request (the openid
  scope, a fresh nonce, PKCE) and redeems the code; a walk or an exchange that
  does not work is a setup error, never a FAIL. Signatures are verified by the
  harness's own JOSE code against the provider's jwks_uri (RS256, PS256, ES256,
  EdDSA), or with the client secret for HS256 (Core §10.1).

  Background:
    Given the target is an OpenID Provider
    And a client registered for the authorization code flow

  @must @oidc-core-3.1.3.3
  Scenario: An authentication request with the openid scope gets an ID token
    OpenID Connect Core §3.1.3.3: "In addition to the response parameters specified by
    OAuth 2.0, the following parameters MUST be included in the response: id_token ID
    Token value associated with the authenticated session."
    Accepted: a successful token response with an id_token member that is a JWS.

    When the user logs in for an authentication request with the openid scope
    Then the token response carries an ID token

  @must @security @oidc-core-2 @oidc-core-10.1
  Scenario: The ID token is signed with a key the provider publishes
    OpenID Connect Core §2: "ID Tokens MUST be signed using JWS" and "ID Tokens MUST NOT
    use none as the alg value unless the Response Type used returns no ID Token from the
    Authorization Endpoint (such as when using the Authorization Code Flow) and the Client
    explicitly requested the use of none at Registration time."
    Accepted: a signature that verifies with the key of the provider's JWK Set the header
    names (its kid, or the only key), or, for HS256/384/512, with the client's secret
    (Core §10.1). alg none is refused: the harness never registers for it.

    When the user logs in for an authentication request with the openid scope
    Then the ID token's signature verifies with the provider's keys

  @must @security @oidc-core-2
  Scenario: The ID token names the provider as its issuer
    OpenID Connect Core §2: "iss REQUIRED. Issuer Identifier for the Issuer of the
    response." §3.1.3.7: "The Issuer Identifier for the OpenID Provider (which is
    typically obtained during Discovery) MUST exactly match the value of the iss (issuer)
    Claim."
    Accepted: iss identical to the issuer of the provider's configuration.

    When the user logs in for an authentication request with the openid scope
    Then the ID token's issuer is the provider's issuer

  @must @security @oidc-core-2
  Scenario: The ID token is meant for the client that asked
    OpenID Connect Core §2: "aud REQUIRED. Audience(s) that this ID Token is intended for.
    It MUST contain the OAuth 2.0 client_id of the Relying Party as an audience value."
    Accepted: aud equal to the client id, or an array containing it.

    When the user logs in for an authentication request with the openid scope
    Then the ID token's audience includes the client

  @must @security @oidc-core-2
  Scenario: The ID token's authorized party, if named, is the client
    OpenID Connect Core §2: "azp OPTIONAL. Authorized party - the party to which the ID
    Token was issued. If present, it MUST contain the OAuth 2.0 Client ID of this party."
    Accepted: azp equal to the client id; an ID token without azp SKIPs (nothing to check).

    When the user logs in for an authentication request with the openid scope
    Then the ID token's authorized party, if any, is the client

  @must @oidc-core-2
  Scenario: The ID token says when it was issued and has not expired
    OpenID Connect Core §2: "exp REQUIRED. Expiration time on or after which the ID Token
    MUST NOT be accepted" and "iat REQUIRED. Time at which the JWT was issued."
    Accepted: exp and iat are numbers and exp is after iat; against a target without a
    test-admin clock, exp is also not in the past by this machine's clock (with the
    profile's clock-skew margin).

    When the user logs in for an authentication request with the openid scope
    Then the ID token has a lifetime that has not ended

  @must @oidc-core-2
  Scenario: The ID token names the user with a short subject identifier
    OpenID Connect Core §2: "sub REQUIRED. Subject Identifier. A locally unique and never
    reassigned identifier within the Issuer for the End-User [...] It MUST NOT exceed 255
    ASCII [RFC20] characters in length."
    Accepted: sub a non-empty string of at most 255 ASCII characters.

    When the user logs in for an authentication request with the openid scope
    Then the ID token's subject is at most 255 ASCII characters

  @must @security @oidc-core-2 @oidc-core-3.1.2.1
  Scenario: The ID token carries the nonce of the request
    OpenID Connect Core §2: "If present in the Authentication Request, Authorization
    Servers MUST include a nonce Claim in the ID Token with the Claim Value being the nonce
    value sent in the Authentication Request."
    Accepted: nonce identical to the request's.

    When the user logs in for an authentication request with the openid scope
    Then the ID token carries the request's nonce

  @must @security @oidc-core-3.1.3.6
  Scenario: The ID token's at_hash matches the access token
    OpenID Connect Core §3.1.3.6: "at_hash OPTIONAL. Access Token hash value. Its value is
    the base64url encoding of the left-most half of the hash of the octets of the ASCII
    representation of the access_token value, where the hash algorithm used is the hash
    algorithm used in the alg Header Parameter of the ID Token's JOSE Header."
    Level: MUST: the claim is optional, but its value is defined; a wrong one binds the
    ID token to another access token.
    Accepted: no at_hash (the scenario SKIPs: nothing to check), or the hash of this
    access token (SHA-256 for RS256/PS256/ES256/HS256, SHA-384 and SHA-512 for the
    384 and 512 variants, SHA-512 for EdDSA with Ed25519).

    When the user logs in for an authentication request with the openid scope
    Then the ID token's at_hash, if any, is the hash of the access token

  @must @oidc-core-2
  Scenario: The same user gets the same subject at every login
    OpenID Connect Core §2: "sub REQUIRED. Subject Identifier. A locally unique and never
    reassigned identifier within the Issuer for the End-User"
    Level: MUST: a client knows its user only by iss and sub; a sub that changes between
    logins of the same user for the same client makes the user a stranger.
    Accepted: the two ID tokens of two logins of the same user for the same client have
    the same sub.

    When the user logs in for an authentication request with the openid scope
    And the user logs in for another authentication request with the openid scope
    Then both ID tokens name the same subject

  @must @serial @oidc-core-12.2
  Scenario: An ID token issued on refresh keeps the original authentication's claims
    OpenID Connect Core §12.2: "its iss Claim Value MUST be the same as in the ID Token
    issued when the original authentication occurred, its sub Claim Value MUST be the same
    [...], its aud Claim Value MUST be the same [...], if the ID Token contains an
    auth_time Claim, its value MUST represent the time of the original authentication -
    not the time that the new ID token is issued"
    Accepted: no ID token in the refresh response (the response "might not contain an
    id_token"; the scenario SKIPs), or one whose iss, sub, aud and auth_time are those of
    the first. Two seconds pass on the target's clock between login and refresh.

    When the user logs in for an authentication request with the openid scope
    And the client refreshes its tokens a little later
    Then the refreshed ID token keeps the original issuer, subject, audience and auth_time
