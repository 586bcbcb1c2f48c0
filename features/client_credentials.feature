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
    Given a confidential client allowed to use client credentials
    When the client asks for a token with client credentials
    Then the token request succeeds
    And the protected resource accepts the access token

  @should @rfc6749-4.4.3
  Scenario: No refresh token comes with a client credentials token
    Given a confidential client allowed to use client credentials
    When the client asks for a token with client credentials
    Then the client credentials response carries no refresh token

  @must @security @rfc6749-4.4 @rfc6749-2.1
  Scenario: A public client cannot use the client credentials grant
    Given a public client that asked to be allowed client credentials
    When the client asks for a token with client credentials
    Then the client credentials request is refused
