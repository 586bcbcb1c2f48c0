# Every scenario here lets time pass. Against the bundled reference server
# the harness gives its client short token lifetimes and moves the server's
# test-admin clock, so nothing sleeps; that clock is shared by the whole run,
# hence @serial. Against other targets the harness waits exactly a lifetime
# (from [lifetimes], or what the server says) plus [lifetimes] clock_skew, up
# to [expiry] max_wait, and SKIPs when that is longer.
@expiry @serial
Feature: Token expiry
  Every token has a lifetime. An access token says how long it lives in
  expires_in; once that is over, the API must refuse it and introspection
  must call it inactive, and the client uses its refresh token to get a new
  one. Refresh tokens expire too, just later. (RFC 6749 §1.4, §1.5, §7)

  Background:
    Given a client with short-lived tokens
    And the client holds tokens from the authorization code flow

  @must @security @rfc6749-7 @rfc9068-4
  Scenario: An expired access token is refused by the API
    RFC 6749 §7: "The resource server MUST validate the access token and ensure that
    it has not expired and that its scope covers the requested resource."
    Accepted: any refusal once the lifetime and the clock-skew margin have passed
    (its shape is judged by the resource-server scenarios).

    Given the protected resource accepts the client's access token
    When the access token's lifetime has passed
    Then the expired access token is refused by the protected resource

  @must @security @rfc7662-2.2
  Scenario: Introspection reports an expired access token as inactive
    RFC 7662 §2.2: "If the introspection call is properly authorized but the token is
    not active, does not exist on this server, or the protected resource is not allowed
    to introspect this particular token, then the authorization server MUST return an
    introspection response with the "active" field set to "false"."
    Accepted: 200 with "active": false.

    Given the client's access token is reported active by introspection
    When the access token's lifetime has passed
    And the client introspects its access token
    Then the introspection answer says the token is inactive

  @should @rfc7662-2.2
  Scenario: The answer about an expired access token says nothing more
    RFC 7662 §2.2: "the authorization server SHOULD NOT include any additional
    information about an inactive token, including why the token is inactive."
    Accepted: exactly {"active": false}.

    Given the client's access token is reported active by introspection
    When the access token's lifetime has passed
    And the client introspects its access token
    Then the introspection answer is exactly {"active": false}

  @must @security @rfc6749-6 @rfc6749-5.2
  Scenario: An expired refresh token is refused
    RFC 6749 §6: "The authorization server MUST: [...] validate the refresh token."
    RFC 6749 §5.2: "invalid_grant The provided authorization grant [...] or refresh
    token is invalid, expired, revoked"
    Accepted: 400 error=invalid_grant once the refresh token's lifetime and the
    clock-skew margin have passed; tokens are a security failure. Control: the
    refresh token worked before it expired.

    Given the client's refresh token works
    When the refresh token's lifetime has passed
    And the client refreshes its tokens
    Then the token request fails with "invalid_grant"

  @must @rfc6749-7 @rfc6750-2.1
  Scenario: An access token still works part-way through its lifetime
    RFC 6749 §7: "The resource server MUST validate the access token and ensure that
    it has not expired" RFC 6750 §2.1: "Resource servers MUST support this method."
    Accepted: 2xx half-way through the token's lifetime.

    When half of the access token's lifetime has passed
    Then the protected resource accepts the access token

  @must @rfc6749-6
  Scenario: Once the access token has expired, the refresh token gets a new one
    RFC 6749 §6: "If valid and authorized, the authorization server issues an access
    token as described in Section 5.1."
    Level: MUST: RFC 6749 §1.5 defines refresh tokens as "used to obtain a new access
    token when the current access token becomes invalid or expires".
    Accepted: 200 with tokens that the API accepts. A server whose refresh tokens die
    before its access tokens (plus the margin) SKIPs.

    Given the refresh token outlives the access token
    When the access token's lifetime has passed
    And the client refreshes its tokens
    Then the token request succeeds
    And the protected resource accepts the access token
