# Every scenario here lets time pass. Against the bundled reference server
# the harness gives its client short token lifetimes and moves the server's
# test-admin clock, so nothing sleeps; that clock is shared by the whole run,
# hence @serial. Against other targets the harness really waits, up to the
# profile's max_wait, and SKIPs when the token lives longer than that.
@expiry @serial
Feature: Token expiry
  Every token has a lifetime. An access token says how long it lives in
  expires_in; once that is over, the API must refuse it and introspection
  must call it inactive, and the client uses its refresh token to get a new
  one. Refresh tokens expire too, just later. (RFC 6749 §1.4, §1.5, §7)

  Background:
    Given a client with short-lived tokens
    And the client holds tokens from the authorization code flow

  @must @security @rfc6749-7 @rfc6750-3.1
  Scenario: An expired access token is refused by the API
    When the access token's lifetime has passed
    Then the expired access token is refused by the protected resource

  @must @security @rfc7662-2.2
  Scenario: Introspection reports an expired access token as inactive
    When the access token's lifetime has passed
    And the client introspects its access token
    Then the introspection answer says the token is inactive

  @should @security @rfc7662-2.2 @rfc7662-4
  Scenario: The answer about an expired access token says nothing more
    When the access token's lifetime has passed
    And the client introspects its access token
    Then the introspection answer is exactly {"active": false}

  @must @security @rfc6749-6 @rfc6749-5.2
  Scenario: An expired refresh token is refused
    When the refresh token's lifetime has passed
    And the client refreshes its tokens
    Then the token request fails with "invalid_grant"

  @must @rfc6749-7
  Scenario: An access token still works part-way through its lifetime
    When half of the access token's lifetime has passed
    Then the protected resource accepts the access token

  @should @rfc6749-1.5
  Scenario: Once the access token has expired, the refresh token gets a new one
    When the access token's lifetime has passed
    And the client refreshes its tokens
    Then the token request succeeds
    And the protected resource accepts the access token
