@client_credentials
Feature: Client credentials grant
  A confidential client that acts on its own behalf, with no user involved,
  asks the token endpoint for an access token with nothing but its own
  credentials. Because anyone can read a public client's ID, only clients
  that keep a secret may use this grant. (RFC 6749 §4.4)

  Background:
    Given the server offers the client credentials grant

  @must @rfc6749-4.4.2 @rfc6749-4.4.3
  Scenario: A confidential client gets an access token that the API accepts
    RFC 6749 §4.4.3: "If the access token request is valid and authorized, the
    authorization server issues an access token as described in Section 5.1."
    RFC 6750 §2.1: "Resource servers MUST support this method."
    Accepted: 200 with an access token; then 2xx from the API.

    Given a confidential client allowed to use client credentials
    When the client asks for a token with client credentials
    Then the token request succeeds
    And the protected resource accepts the access token

  @should @rfc6749-4.4.3
  Scenario: No refresh token comes with a client credentials token
    RFC 6749 §4.4.3: "A refresh token SHOULD NOT be included."
    Accepted: 200 without refresh_token.

    Given a confidential client allowed to use client credentials
    When the client asks for a token with client credentials
    Then the client credentials response carries no refresh token

  @must @security @rfc6749-4.4 @rfc6749-4.4.2
  Scenario: A public client cannot use the client credentials grant
    RFC 6749 §4.4: "The client credentials grant type MUST only be used by
    confidential clients." RFC 6749 §4.4.2: "The authorization server MUST
    authenticate the client."
    Accepted: registration of a public client for client_credentials refused, or the
    token request refused with invalid_client (400 or 401) or unauthorized_client (400).
    A token is a security failure.

    Given a confidential client allowed to use client credentials
    And the client gets a token with client credentials
    And a public client that asked to be allowed client credentials
    When the public client asks for a token with client credentials
    Then the client credentials request is refused
