@pkce
Feature: Proof Key for Code Exchange (PKCE)
  Before sending the user to the authorization server, the client makes up
  a random secret, the code verifier, and sends only its SHA-256 hash, the
  code challenge. To redeem the code it must show the verifier itself, so
  someone who steals the code on its way back cannot use it.
  (RFC 7636, RFC 9700 §2.1.1)

  # Levels: RFC 9700 §2.1.1 says public clients MUST use PKCE; only the
  # authorization server can hold them to it, and RFC 7636 §4.4.1 names the
  # error. The verifier's format (43 to 128 unreserved characters, RFC 7636
  # §4.1) and the "plain" method (RFC 7636 §7.2) are SHOULD-level checks.

  @must @rfc7636-4.6 @rfc7636-4.2
  Scenario: A confidential client proves its code with the verifier behind its S256 challenge
    Given a client registered for the authorization code flow
    And the user has approved an authorization request from the client
    When the client exchanges the code for tokens
    Then the token request succeeds

  @must @rfc7636-4.6 @rfc9700-2.1.1
  Scenario: A public client, which has no secret, gets tokens by showing its verifier
    Given a public client registered for the authorization code flow
    And the user has approved an authorization request from the client
    When the client exchanges the code for tokens
    Then the token request succeeds
    And the protected resource accepts the access token

  @must @security @rfc9700-2.1.1 @rfc7636-4.4.1
  Scenario: A public client's request without a code challenge is refused
    Given a public client registered for the authorization code flow
    And an authorization request from the client
    And the request has no code_challenge
    And the request has no code_challenge_method
    When the user logs in and approves the request
    Then the client receives the error "invalid_request" instead of a code, for lack of a PKCE challenge

  @should @rfc7636-7.2 @rfc7636-4.4.1 @rfc9700-2.1.1
  Scenario: The "plain" method, which puts the verifier itself in the browser's URL, is refused
    Given a client registered for the authorization code flow
    And an authorization request from the client
    And the request uses the plain PKCE method, showing the verifier itself
    When the user logs in and approves the request
    Then the client receives the error "invalid_request" instead of a code, for using the plain method

  @must @security @rfc7636-4.6 @rfc9700-2.1.1
  Scenario: A code redeemed with the wrong verifier gives no tokens
    Given a client registered for the authorization code flow
    And the user has approved an authorization request from the client
    When the client exchanges the code with a different code_verifier
    Then the token request fails with "invalid_grant"

  @must @security @rfc9700-2.1.1 @rfc7636-4.6
  Scenario: A code redeemed without its verifier gives no tokens
    Given a public client registered for the authorization code flow
    And the user has approved an authorization request from the client
    When the client exchanges the code without a code_verifier
    Then the token request fails with "invalid_grant"

  @must @security @rfc9700-2.1.1 @rfc9700-4.8.2
  Scenario: A verifier is refused for a code that was requested without a challenge
    Given a client registered for the authorization code flow
    And an authorization request from the client
    And the request has no code_challenge
    And the request has no code_challenge_method
    When the user logs in and approves the request
    And the client exchanges any code it received, sending a code_verifier anyway
    Then the token endpoint issues no tokens for that code

  @should @rfc7636-4.1
  Scenario Outline: A code_verifier that is <problem> is refused
    Given a client registered for the authorization code flow
    And an authorization request from the client whose code verifier is <problem>
    And the user logs in and approves the request
    When the client exchanges the code for tokens
    Then the token endpoint refuses the code verifier

    Examples:
      | problem                                  |
      | 42 characters long, one too few          |
      | 129 characters long, one too many        |
      | made of characters outside the allowed set |
