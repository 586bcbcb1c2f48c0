@introspection
Feature: Token introspection
  A resource server that receives a token can ask the authorization server
  about it: it posts the token to the introspection endpoint, authenticating
  itself, and learns whether the token is active and, if so, for whom, for
  which client and with which scope. About any other token it learns
  nothing but "active": false. (RFC 7662)

  The harness introspects as the client that holds the tokens. A server that
  lets only resource servers introspect may answer that client "active": false
  (RFC 7662 §2.2 allows it); the scenarios that need a truthful answer then SKIP.

  Background:
    Given a client registered for the authorization code flow
    And the client holds tokens from the authorization code flow

  @must @security @rfc7662-2.1
  Scenario: Only an authorized caller may introspect tokens
    RFC 7662 §2.1: "To prevent token scanning attacks, the endpoint MUST also require
    some form of authorization to access this endpoint"
    Accepted: a refusal: 401, or 400 with error=invalid_client (RFC 6749 §5.2: "no
    client authentication included"). An answer that says anything about the token
    is a security failure; another refusal, or "active": false, a format one.

    Given a genuine token of the client is reported active by introspection
    When an unauthenticated caller introspects the client's token
    Then the introspection request is refused as unauthenticated

  @must @security @rfc7662-2.1
  Scenario: A caller that only names a public client may not introspect tokens
    RFC 7662 §2.1: "To prevent token scanning attacks, the endpoint MUST also require
    some form of authorization to access this endpoint, such as client authentication"
    — a public client cannot authenticate (RFC 6749 §2.1), so naming one is no
    authorization.
    Accepted: any refusal; an answer that says anything about the token is a security
    failure.

    Given a genuine token of the client is reported active by introspection
    And a public client registered for the authorization code flow
    When the public client introspects the client's token
    Then the answer says nothing about the token

  @must @rfc7662-2.2
  Scenario: A valid access token is reported active, and described truthfully
    RFC 7662 §2.2: "active REQUIRED. Boolean indicator of whether or not the presented
    token is currently active." The other members are OPTIONAL, but what they say must
    be true of the token.
    Accepted: 200 with "active": true and, where present, the client_id, scope, iss,
    exp and iat of this token. "active": false SKIPs (the caller may not be allowed
    to introspect it).

    When the client introspects its access token
    Then the introspection answer says the token is active
    And the introspection answer describes the access token truthfully

  @must @rfc7662-2.2 @rfc7662-2.3
  Scenario: A token the server never issued is reported inactive
    RFC 7662 §2.3: "a properly formed and authorized query for an inactive or otherwise
    invalid token [...] is not considered an error response by this specification. In
    these cases, the authorization server MUST instead respond with an introspection
    response with the "active" field set to "false""
    Accepted: 200 with "active": false.

    Given a genuine token of the client is reported active by introspection
    When the client introspects a token the server never issued
    Then the introspection answer says the token is inactive

  @must @security @rfc7662-2.2 @rfc7009-2.1
  Scenario: A revoked refresh token is reported inactive
    RFC 7009 §2.1: "The invalidation takes place immediately, and the token cannot be
    used again after the revocation." RFC 7662 §2.2: "the authorization server MUST
    return an introspection response with the "active" field set to "false"."
    Accepted: 200 with "active": false. Runs where the server reports the valid
    refresh token active first (others SKIP).

    Given the client's refresh token is reported active by introspection
    And the client has revoked its refresh token
    When the client introspects its refresh token
    Then the introspection answer says the token is inactive

  @should @rfc7662-2.2
  Scenario: The answer about a revoked access token says nothing more
    RFC 7662 §2.2: "the authorization server SHOULD NOT include any additional
    information about an inactive token, including why the token is inactive."
    Accepted: exactly {"active": false}. Runs where the server revokes access tokens
    (RFC 7009 §2: it SHOULD).

    Given the client's access token is reported active by introspection
    And the client has revoked its access token
    When the client introspects its access token
    Then the introspection answer is exactly {"active": false}
