@token_response
Feature: What the token endpoint answers
  Whatever the grant, the token endpoint answers in one format: a JSON
  object with the access token, its type and its lifetime, marked so that
  no cache keeps it; or a JSON error object with a standard error code and
  a plain, single-line description. (RFC 6749 §5.1, §5.2)

  @must @rfc6749-5.1
  Scenario: A response carrying tokens tells caches not to store it
    Given the client holds tokens from the authorization code flow
    Then the token response tells caches not to store it

  # RFC 6749 §5.1 makes Pragma: no-cache a MUST beside Cache-Control: no-store;
  # the OAuth 2.1 drafts drop it, so servers built for 2.1 will fail here.
  @must @rfc6749-5.1
  Scenario: A response carrying tokens tells old HTTP/1.0 caches not to store it either
    Given the client holds tokens from the authorization code flow
    Then the token response tells HTTP/1.0 caches not to store it either

  @must @rfc6749-5.1 @rfc6750-4
  Scenario: A token response is JSON and names the Bearer token type
    Given the client holds tokens from the authorization code flow
    Then the token response is JSON and names the Bearer token type

  @should @rfc6749-5.1
  Scenario: A token response says when the access token expires
    Given the client holds tokens from the authorization code flow
    Then the token response says in how many seconds the access token expires

  @must @rfc6749-5.2
  Scenario: A refused token request is answered with a standard JSON error
    Given a client registered for the authorization code flow
    When the client asks for a token with a grant type the server does not know
    Then the token request fails with "unsupported_grant_type"
    And the token error response is JSON with a registered error code

  @must @rfc6749-5.2
  Scenario: An error description never carries line breaks, quotes or backslashes
    Given a client registered for the authorization code flow
    When the client asks for a token with a grant type that holds a line break and quotes
    Then the token error response is JSON with a registered error code
    And the token error description holds only the characters the standard allows
