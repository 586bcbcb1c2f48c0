@userinfo
Feature: The UserInfo endpoint
  The UserInfo endpoint is a protected resource of the OpenID Provider: given the
  access token of an authentication request, it answers with claims about the
  user who logged in, in a JSON object that always holds the same subject as
  the ID token. (OpenID Connect Core 1.0 §5.3)

  The endpoint is the provider's userinfo_endpoint (its configuration, or the
  profile's [endpoints] userinfo).

  Background:
    Given the target is an OpenID Provider
    And a client registered for the authorization code flow
    And the user has logged in for an authentication request with the openid scope

  @must @oidc-core-5.3 @oidc-core-5.3.2
  Scenario: The UserInfo endpoint answers a GET with the user's claims
    OpenID Connect Core §5.3: "The UserInfo Endpoint MUST support the use of the HTTP GET
    and HTTP POST methods defined in RFC 7231 [RFC7231]." §5.3.2: "The sub (subject)
    Claim MUST always be returned in the UserInfo Response." "The UserInfo Claims MUST be
    returned as the members of a JSON object unless a signed or encrypted response was
    requested during Client Registration."
    Level: MUST: the harness registers for no signed response, and compares sub with the
    ID token's (§5.3.2: "The sub Claim in the UserInfo Response MUST be verified to exactly
    match the sub Claim in the ID Token"): both name the user who logged in.
    Accepted: 200, a JSON object (application/json), sub equal to the ID token's.

    When the client asks the UserInfo endpoint with GET and the access token in the header
    Then the UserInfo answer is a JSON object about the ID token's subject

  @must @oidc-core-5.3 @oidc-core-5.3.2
  Scenario: The UserInfo endpoint answers a POST with the user's claims
    OpenID Connect Core §5.3: "The UserInfo Endpoint MUST support the use of the HTTP GET
    and HTTP POST methods defined in RFC 7231 [RFC7231]."
    Accepted: 200, a JSON object (application/json), sub equal to the ID token's.

    When the client asks the UserInfo endpoint with POST and the access token in the header
    Then the UserInfo answer is a JSON object about the ID token's subject

  @must @security @oidc-core-5.3.3 @rfc6750-3
  Scenario: A token the UserInfo endpoint cannot verify is refused with a Bearer challenge
    OpenID Connect Core §5.3.3: "When an error condition occurs, the UserInfo Endpoint
    returns an Error Response as defined in Section 3 of OAuth 2.0 Bearer Token Usage
    [RFC6750]." RFC 6750 §3: "If the protected resource request does not include
    authentication credentials or does not contain an access token that enables access to
    the protected resource, the resource server MUST include the HTTP "WWW-Authenticate"
    response header field"
    Accepted: a 4xx answer (401 is what RFC 6750 §3.1 recommends for invalid_token) with
    a WWW-Authenticate header holding a Bearer challenge, after the genuine token was
    answered 200 in the same scenario. A 200 with the user's claims hands them to anyone.

    Given the UserInfo endpoint answers the genuine access token
    When the client asks the UserInfo endpoint with a made-up access token
    Then the UserInfo endpoint refuses it with a Bearer challenge
