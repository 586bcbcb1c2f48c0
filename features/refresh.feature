@refresh
Feature: Refresh tokens
  Access tokens are short-lived. With the access token, the server can hand
  the client a refresh token: a long-lived credential that the client sends
  to the token endpoint to get a fresh access token without asking the user
  again. Because a stolen refresh token is so valuable, the server binds it
  to its client, never lets it widen the grant, and replaces it at every use
  so that a replayed copy gives the theft away. (RFC 6749 §6, RFC 9700 §4.14)

  @must @rfc6749-6
  Scenario: A refresh token gets a new access token that the API accepts
    Given a client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    When the client refreshes its tokens
    Then the token request succeeds
    And the protected resource accepts the access token

  @must @security @rfc9700-4.14.2
  Scenario: A public client's refresh token is replaced by a new one at every use
    Given a public client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    When the client refreshes its tokens
    Then the token request succeeds
    And the client receives a new refresh token, different from the one it used

  @must @security @rfc9700-4.14.2 @rfc6749-10.4
  Scenario: A refresh token that has been replaced cannot be used again
    Given a public client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    And the client refreshes its tokens
    When the client refreshes again with the refresh token it has already used
    Then the token request fails with "invalid_grant"

  @must @security @rfc9700-4.14.2 @rfc6749-10.4
  Scenario: Replaying a replaced refresh token also kills the newest one
    Given a public client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    And the client refreshes its tokens
    When the client refreshes again with the refresh token it has already used
    Then the client's newest refresh token no longer works

  @must @rfc6749-6
  Scenario: The client may ask for less scope when refreshing, and gets just that
    Given a client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    When the client refreshes its tokens asking for a narrower scope
    Then the token request succeeds
    And the refreshed access token works only within the narrower scope

  @must @security @rfc6749-6
  Scenario: Refreshing cannot widen the scope beyond what the user granted
    Given a client registered for the authorization code flow
    And the client holds tokens the user granted for a narrower scope
    When the client refreshes its tokens asking for its full scope
    Then the token request fails with "invalid_scope"

  @must @security @rfc6749-6 @rfc6749-10.4
  Scenario: Another client cannot use this client's refresh token
    Given a client registered for the authorization code flow
    And a second client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    When the second client refreshes with the client's refresh token
    Then the token request fails with "invalid_grant"

  @must @security @rfc6749-6 @rfc6749-2.3
  Scenario: A confidential client must authenticate to refresh
    Given a client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    When the client refreshes its tokens without authenticating
    Then the token request fails with "invalid_client"
