@revocation
Feature: Token revocation
  When a user logs out or uninstalls an app, the client tells the server
  that it no longer needs its tokens: it posts each token to the revocation
  endpoint, authenticating as itself, and the server invalidates it.
  Revoking a refresh token ends the whole grant, access tokens included.
  (RFC 7009)

  Background:
    Given a client registered for the authorization code flow
    And the client holds tokens from the authorization code flow

  @should @security @rfc7009-2 @rfc7009-2.1
  Scenario: A revoked access token is refused by the API
    When the client revokes its access token
    Then the revocation succeeds
    And the revoked access token is refused by the protected resource

  @must @security @rfc7009-2 @rfc7009-2.1
  Scenario: A revoked refresh token can no longer be used
    When the client revokes its refresh token
    Then the revocation succeeds
    When the client refreshes its tokens
    Then the token request fails with "invalid_grant"

  @should @security @rfc7009-2.1
  Scenario: Revoking a refresh token also revokes the access tokens of its grant
    When the client revokes its refresh token
    Then the revocation succeeds
    And the access token issued with the revoked refresh token is refused by the protected resource

  @must @rfc7009-2.1
  Scenario: The token type hint is only a hint
    When the client revokes its refresh token with token_type_hint "access_token"
    Then the revocation succeeds
    When the client refreshes its tokens
    Then the token request fails with "invalid_grant"

  @must @rfc7009-2.2
  Scenario: Revoking a token the server does not know still answers 200
    When the client revokes a token the server never issued
    Then the revocation succeeds

  @must @security @rfc7009-2.1
  Scenario: Revocation requires client authentication
    When the client revokes its access token without authenticating
    Then the revocation is refused with "invalid_client"
    And the protected resource accepts the access token

  @must @security @rfc7009-2.1
  Scenario: Another client cannot revoke this client's tokens
    Given a second client registered for the authorization code flow
    When the second client revokes the client's refresh token
    Then the client can still refresh its tokens
