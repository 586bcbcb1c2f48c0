@revocation
Feature: Token revocation
  When a user logs out or uninstalls an app, the client tells the server
  that it no longer needs its tokens: it posts each token to the revocation
  endpoint, authenticating as itself, and the server invalidates it.
  Revoking a refresh token ends the whole grant, access tokens included.
  (RFC 7009)

  Some of RFC 7009's rules are stated without a BCP 14 keyword ("the
  authorization server responds with HTTP status code 200", "the request is
  refused"); the scenarios for those are held at SHOULD.

  Background:
    Given a client registered for the authorization code flow
    And the client holds tokens from the authorization code flow

  @should @security @rfc7009-2 @rfc7009-2.1
  Scenario: A revoked access token is refused by the API
    RFC 7009 §2: "Implementations MUST support the revocation of refresh tokens and
    SHOULD support the revocation of access tokens" §2.1: "The invalidation takes
    place immediately, and the token cannot be used again after the revocation."
    Accepted: 200 to the revocation, then any refusal by the API.

    Given the protected resource accepts the client's access token
    When the client revokes its access token
    Then the revocation succeeds
    And the revoked access token is refused by the protected resource

  @must @security @rfc7009-2 @rfc7009-2.1
  Scenario: A revoked refresh token can no longer be used
    RFC 7009 §2: "Implementations MUST support the revocation of refresh tokens"
    §2.1: "the token cannot be used again after the revocation."
    Accepted: 200 to the revocation, then 400 error=invalid_grant to a refresh with it.

    When the client revokes its refresh token
    Then the revocation succeeds
    When the client refreshes its tokens
    Then the token request fails with "invalid_grant"

  @should @security @rfc7009-2.1
  Scenario: Revoking a refresh token also revokes the access tokens of its grant
    RFC 7009 §2.1: "If the particular token is a refresh token and the authorization
    server supports the revocation of access tokens, then the authorization server
    SHOULD also invalidate all access tokens based on the same authorization grant"
    Accepted: the grant's access token refused by the API. Servers that do not revoke
    access tokens at all SKIP.

    Given the protected resource accepts the client's access token
    When the client revokes its refresh token
    Then the revocation succeeds
    And the access token issued with the revoked refresh token is refused by the protected resource

  @must @security @rfc7009-2.1
  Scenario: The token type hint is only a hint
    RFC 7009 §2.1: "If the server is unable to locate the token using the given hint,
    it MUST extend its search across all of its supported token types."
    Accepted: 200, then 400 error=invalid_grant to a refresh with the revoked token.

    When the client revokes its refresh token with token_type_hint "access_token"
    Then the revocation succeeds
    When the client refreshes its tokens
    Then the token request fails with "invalid_grant"

  @should @rfc7009-2.2
  Scenario: Revoking a token the server does not know still answers 200
    RFC 7009 §2.2: "The authorization server responds with HTTP status code 200 if the
    token has been revoked successfully or if the client submitted an invalid token."
    Level: SHOULD: stated without a BCP 14 keyword.
    Accepted: 200.

    When the client revokes a token the server never issued
    Then the revocation succeeds

  @should @security @rfc7009-2.1 @rfc7009-5
  Scenario: Revocation requires client authentication
    RFC 7009 §2.1: "The authorization server first validates the client credentials
    (in case of confidential clients) [...] If this validation fails, the request is
    refused and the client is informed of the error by the authorization server"
    Level: SHOULD: §2.1 describes the validation without a BCP 14 keyword.
    Accepted: 400 or 401 with error=invalid_client, and the refresh token still works;
    a refresh token revoked without credentials is a security failure.

    Given the client's revocation of a token the server never issued is answered 200
    When the client revokes its refresh token without authenticating
    Then the revocation is refused with "invalid_client"
    And the client can still refresh its tokens

  @should @security @rfc7009-2.1
  Scenario: Another client cannot revoke this client's tokens
    RFC 7009 §2.1: "The authorization server [...] verifies whether the token was issued
    to the client making the revocation request. If this validation fails, the request
    is refused and the client is informed of the error"
    Level: SHOULD: §2.1 describes the check without a BCP 14 keyword.
    Accepted: a refusal, or 200 that leaves the token working (RFC 7009 §2.2 treats
    it as an invalid token); the token stopping to work is a security failure. The
    client's own revocation must work afterwards, or nothing was shown.

    Given a second client registered for the authorization code flow
    And the second client gets tokens for a code of its own
    When the second client revokes the client's refresh token
    Then the client can still refresh its tokens
    And the client's own revocation of its refresh token takes effect
