@resource_server
Feature: What a resource server checks in an access token
  A good signature is not enough: the API must also check that the token
  was issued by the server it trusts, for this API, is an access token and
  not some other JWT, and is within its lifetime. It answers a refused token
  with a Bearer challenge that says invalid_token.
  (RFC 9068 §4, RFC 7519 §4.1, RFC 6750 §2 and §3)

  Background:
    Given a genuine access token that the API accepts

  @must @security @rfc9068-4 @rfc7519-4.1.4
  Scenario: A token whose exp has passed is refused
    RFC 9068 §4: "The current time MUST be before the time represented by the "exp"
    claim. Implementers MAY provide for some small leeway"
    Accepted: any refusal of a token the target signed with exp an hour ago (or of
    the genuine token once its exp and the clock-skew margin have passed).

    When the API is presented a token the target signed with "exp in the past"
    Then the API refuses it

  @must @security @rfc7519-4.1.5
  Scenario: A token whose nbf is still in the future is refused
    RFC 7519 §4.1.5: "The "nbf" (not before) claim identifies the time before which the
    JWT MUST NOT be accepted for processing."
    Accepted: any refusal of a token the target signed with nbf an hour ahead.

    When the API is presented a token the target signed with "nbf in the future"
    Then the API refuses it

  @must @security @rfc9068-2.2 @rfc9068-4
  Scenario: A token without exp is refused
    RFC 9068 §2.2: "exp REQUIRED" RFC 9068 §4: "The current time MUST be before the
    time represented by the "exp" claim."
    Accepted: any refusal.

    When the API is presented a token the target signed with "no exp"
    Then the API refuses it

  @must @security @rfc9068-4 @rfc8725-3.8
  Scenario: A token issued by another issuer is refused
    RFC 9068 §4: "The issuer identifier for the authorization server (which is
    typically obtained during discovery) MUST exactly match the value of the "iss" claim."
    Accepted: any refusal.

    When the API is presented a token the target signed with "another issuer"
    Then the API refuses it

  @must @security @rfc9068-4 @rfc8725-3.9
  Scenario: A token meant for another API is refused
    RFC 9068 §4: "The JWT access token MUST be rejected if "aud" does not contain a
    resource indicator of the current resource server as a valid audience."
    Accepted: any refusal. Only for targets whose tokens carry aud.

    When the API is presented a token the target signed with "another audience"
    Then the API refuses it

  @must @security @rfc9068-4
  Scenario: A JWT that is not typed at+jwt is not accepted as an access token
    RFC 9068 §4: "The resource server MUST verify that the "typ" header value is
    "at+jwt" or "application/at+jwt" and reject tokens carrying any other value."
    Accepted: any refusal. Only for targets whose tokens are typed at+jwt.

    When the API is presented a token the target signed with "typ JWT instead of at+jwt"
    Then the API refuses it

  @must @security @rfc9068-4 @rfc8725-3.12
  Scenario: An ID token is not accepted as an access token
    RFC 8725 §3.12: "If more than one kind of JWT can be issued by the same issuer, the
    validation rules for those JWTs MUST be written such that they are mutually
    exclusive, rejecting JWTs of the wrong kind."
    Accepted: any refusal. Only for targets that issue ID tokens.

    When the API is presented the ID token as an access token
    Then the API refuses it

  @must @security @rfc6749-7 @rfc8725-3.12
  Scenario: A refresh token is not accepted as an access token
    RFC 6749 §7: "The resource server MUST validate the access token"; RFC 6749 §1.5:
    "refresh tokens are intended for use only with authorization servers and are never
    sent to resource servers."
    Accepted: any refusal.

    When the API is presented the refresh token as an access token
    Then the API refuses it

  @should @security @rfc7009-2 @rfc7009-2.1
  Scenario: A revoked or logged-out token is refused afterwards
    RFC 7009 §2: "Implementations MUST support the revocation of refresh tokens and
    SHOULD support the revocation of access tokens" RFC 7009 §2.1: "The invalidation
    takes place immediately, and the token cannot be used again after the revocation."
    Accepted: any refusal after a successful revocation (or logout). Servers that do
    not revoke access tokens (unsupported_token_type) SKIP.

    When the genuine token is revoked
    Then the API refuses it

  @should @rfc6750-2.3
  Scenario: An API that takes a token from the query string keeps its answer out of shared caches
    RFC 6750 §2.3: "Server success (2XX status) responses to these requests SHOULD
    contain a Cache-Control header with the "private" option." ("Resource servers MAY
    support this method": an API that refuses it SKIPs.)
    Accepted: a refusal (SKIP), or a 2xx with Cache-Control: private.

    When the API is presented the genuine token in the query string
    Then an answer that accepts it is marked private for caches

  @must @rfc6750-2.1 @rfc9110-11.1
  Scenario: The Bearer scheme name is matched without regard to case
    RFC 6750 §2.1: "Resource servers MUST support this method." RFC 9110 §11.1: "It uses
    a case-insensitive token to identify the authentication scheme"
    Accepted: 2xx for "bearer" and "BEARER".

    Then the API accepts the genuine token with the scheme written "bearer"
    And the API accepts the genuine token with the scheme written "BEARER"

  @must @security @rfc6749-7
  Scenario: Malformed tokens and a 1 MB token are refused
    RFC 6749 §7: "The resource server MUST validate the access token"
    Accepted: any refusal, or a closed connection.

    When the API is presented the genuine token forged with "malformed encodings"
    Then the API refuses every forged token

  @should @rfc6750-3.1
  Scenario: Malformed tokens and a 1 MB token are answered without a server error
    RFC 6750 §3.1: "invalid_token The access token provided is expired, revoked,
    malformed, or invalid for other reasons. The resource SHOULD respond with the HTTP
    401 (Unauthorized) status code."
    Accepted: any answer below 500 (a 431 or 413 for the 1 MB header, a closed
    connection).

    When the API is presented the genuine token forged with "malformed encodings"
    Then none of the refusals is a server error

  @must @rfc6750-3
  Scenario: Every refusal of a forged token carries a Bearer challenge
    RFC 6750 §3: "If the protected resource request does not include authentication
    credentials or does not contain an access token that enables access to the
    protected resource, the resource server MUST include the HTTP "WWW-Authenticate"
    response header field" "All challenges defined by this specification MUST use the
    auth-scheme value "Bearer"."
    Accepted: WWW-Authenticate with a Bearer challenge on every refusal.

    When the API is presented the genuine token forged with "a sample of forgeries"
    Then every refusal carries a Bearer challenge in WWW-Authenticate

  @must @rfc9068-4 @rfc6750-3.1
  Scenario: A refused JWT access token is answered with error="invalid_token"
    RFC 9068 §4: "in case of any failure in the validation checks listed above, the
    authorization server response MUST include the error code "invalid_token"."
    Accepted: error="invalid_token" in the Bearer challenge. Only for targets whose
    tokens are RFC 9068 JWT access tokens (typ at+jwt).

    Given the target's access tokens are typed at+jwt
    When the API is presented the genuine token forged with "a sample of forgeries"
    Then every refusal has the error "invalid_token" in its challenge

  @should @rfc6750-3.1
  Scenario: A forged token is answered 401
    RFC 6750 §3.1: "invalid_token [...] The resource SHOULD respond with the HTTP 401
    (Unauthorized) status code."
    Accepted: 401.

    When the API is presented the genuine token forged with "a sample of forgeries"
    Then every refusal is 401
