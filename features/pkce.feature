@pkce
Feature: Proof Key for Code Exchange (PKCE)
  Before sending the user to the authorization server, the client makes up
  a random secret, the code verifier, and sends only its SHA-256 hash, the
  code challenge. To redeem the code it must show the verifier itself, so
  someone who steals the code on its way back cannot use it.
  (RFC 7636, RFC 9700 §2.1.1)

  # What is not here, and why: refusing the "plain" method and checking the
  # verifier's format (43 to 128 unreserved characters) bind clients (RFC 7636
  # §4.1, §4.2, §7.2; RFC 9700 §2.1.1); a server that accepts either breaks no
  # requirement, so no scenario can fail it.

  @must @rfc7636-4.6 @rfc9700-2.1.1
  Scenario: A confidential client proves its code with the verifier behind its S256 challenge
    RFC 7636 §4.6: "If the values are equal, the token endpoint MUST continue processing
    as normal (as defined by OAuth 2.0 [RFC6749])."
    Accepted: 200 with tokens.

    Given a confidential client registered for the authorization code flow
    And the user has approved an authorization request from the client
    When the client exchanges the code for tokens
    Then the token request succeeds

  @must @rfc7636-4.6 @rfc9700-2.1.1
  Scenario: A public client, which has no secret, gets tokens by showing its verifier
    RFC 7636 §4.6: "If the values are equal, the token endpoint MUST continue processing
    as normal"
    Accepted: 200 with tokens that the API accepts.

    Given a public client registered for the authorization code flow
    And the user has approved an authorization request from the client
    When the client exchanges the code for tokens
    Then the token request succeeds
    And the protected resource accepts the access token

  @should @security @rfc9700-2.1.1 @rfc7636-4.4.1
  Scenario: A public client's request without a code challenge is refused
    RFC 9700 §2.1.1: "Public clients MUST use PKCE" (this binds the client; only the
    server can hold it to it). RFC 7636 §4.4.1: "If the server requires Proof Key for
    Code Exchange (PKCE) by OAuth public clients and the client does not send the
    "code_challenge" in the request, the authorization endpoint MUST return the
    authorization error response with the "error" value set to "invalid_request"."
    Level: SHOULD: RFC 7636 §4.4.1's MUST holds "if the server requires" PKCE of
    public clients, and RFC 9700 §2.1.1 puts its MUST on the clients.
    Accepted: a redirect with error=invalid_request; a code is a security deviation.

    Given a public client registered for the authorization code flow
    And the client gets a code for a well-formed request
    And an authorization request from the client
    And the request has no code_challenge
    And the request has no code_challenge_method
    When the user logs in and approves the request
    Then the client receives the error "invalid_request" instead of a code, for lack of a PKCE challenge

  @must @security @rfc7636-4.6 @rfc9700-2.1.1
  Scenario: A code redeemed with the wrong verifier gives no tokens
    RFC 7636 §4.6: "If the values are not equal, an error response indicating
    "invalid_grant" as described in Section 5.2 of [RFC6749] MUST be returned."
    Accepted: 400 error=invalid_grant; tokens are a security failure.

    Given a client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    And the user has approved an authorization request from the client
    When the client exchanges the code with a different code_verifier
    Then the token request fails with "invalid_grant"

  @must @security @rfc9700-2.1.1 @rfc7636-4.5
  Scenario: A code redeemed without its verifier gives no tokens
    RFC 9700 §2.1.1: "If a client sends a valid PKCE code_challenge parameter in the
    authorization request, the authorization server MUST enforce the correct usage of
    code_verifier at the token endpoint." RFC 7636 §4.5: "code_verifier REQUIRED."
    Accepted: 400 error=invalid_request (a required parameter is missing, RFC 6749 §5.2)
    or invalid_grant; tokens are a security failure.

    Given a public client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    And the user has approved an authorization request from the client
    When the client exchanges the code without a code_verifier
    Then the token request fails with "invalid_request" or "invalid_grant"

  @must @security @rfc9700-2.1.1 @rfc9700-4.8.2
  Scenario: A verifier is refused for a code that was requested without a challenge
    RFC 9700 §4.8.2: "the authorization server MUST ensure that if there was no
    code_challenge in the authorization request, a request to the token endpoint
    containing a code_verifier is rejected." "Authorization servers that mandate the
    use of PKCE (in general or for particular clients) implicitly implement this
    security measure."
    Accepted: the challenge-less request refused with an error redirect, or the token
    request refused with 400 invalid_grant or invalid_request; tokens are a security failure.

    Given a client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    And an authorization request from the client
    And the request has no code_challenge
    And the request has no code_challenge_method
    When the user logs in and approves the request
    And the client exchanges any code it received, sending a code_verifier anyway
    Then the token endpoint issues no tokens for that code
