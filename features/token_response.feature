@token_response
Feature: What the token endpoint answers
  Whatever the grant, the token endpoint answers in one format: a JSON
  object with the access token, its type and its lifetime, marked so that
  no cache keeps it; or a JSON error object with a standard error code and
  a plain, single-line description. (RFC 6749 §5.1, §5.2)

  @must @rfc6749-5.1
  Scenario: A response carrying tokens tells caches not to store it
    RFC 6749 §5.1: "The authorization server MUST include the HTTP "Cache-Control"
    response header field [RFC2616] with a value of "no-store" in any response
    containing tokens, credentials, or other sensitive information"
    Accepted: Cache-Control with no-store.

    Given the client holds tokens from the authorization code flow
    Then the token response tells caches not to store it

  # The OAuth 2.1 drafts drop Pragma, so servers built for 2.1 will fail here.
  @must @rfc6749-5.1
  Scenario: A response carrying tokens tells old HTTP/1.0 caches not to store it either
    RFC 6749 §5.1: "The authorization server MUST include the HTTP "Cache-Control"
    response header field [...] with a value of "no-store" [...], as well as the
    "Pragma" response header field [RFC2616] with a value of "no-cache"."
    Accepted: Pragma with no-cache.

    Given the client holds tokens from the authorization code flow
    Then the token response tells HTTP/1.0 caches not to store it either

  @must @rfc6749-5.1
  Scenario: A token response is JSON and names the Bearer token type
    RFC 6749 §5.1: "access_token REQUIRED. The access token issued by the authorization
    server. token_type REQUIRED. The type of the token issued as described in Section
    7.1. Value is case insensitive." "The parameters are included in the entity-body of
    the HTTP response using the "application/json" media type"
    Accepted: application/json with a non-empty access_token and token_type Bearer (in
    any case; the harness sends no proof of possession, so a Bearer token is what it
    can use).

    Given the client holds tokens from the authorization code flow
    Then the token response is JSON and names the Bearer token type

  @should @rfc6749-5.1
  Scenario: A token response says when the access token expires
    RFC 6749 §5.1: "expires_in RECOMMENDED. The lifetime in seconds of the access token."
    Accepted: expires_in, a positive integer.

    Given the client holds tokens from the authorization code flow
    Then the token response says in how many seconds the access token expires

  @must @rfc6749-5.2
  Scenario: A refused token request is answered with a standard JSON error
    RFC 6749 §5.2: "The authorization server responds with an HTTP 400 (Bad Request)
    status code (unless specified otherwise)" "error REQUIRED. A single ASCII [USASCII]
    error code from the following:" "unsupported_grant_type The authorization grant type
    is not supported by the authorization server."
    Accepted: 400, application/json, error=unsupported_grant_type.

    Given a client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    When the client asks for a token with a grant type the server does not know
    Then the token request fails with "unsupported_grant_type"
    And the token error response is JSON with a registered error code

  @must @rfc6749-5.2
  Scenario: An error description never carries line breaks, quotes or backslashes
    RFC 6749 §5.2: "Values for the "error_description" parameter MUST NOT include
    characters outside the set %x20-21 / %x23-5B / %x5D-7E."
    Accepted: an error whose error_description and error_uri, when present, use only
    those characters.

    Given a client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    When the client asks for a token with a grant type that holds a line break and quotes
    Then the token error response is JSON with a registered error code
    And the token error description holds only the characters the standard allows
