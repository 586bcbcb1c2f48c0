@upstream_login
Feature: Logging in through an upstream identity provider
  Many apps let their users "log in with Google": the app sends the user to
  the provider, the provider sends the user back with a code, and the app
  swaps the code for an ID token that says who the user is. The app must
  check everything the provider sends back (the state, the ID token's
  signature, issuer, audience, expiry and nonce), because an attacker can
  forge any of it. Here the harness plays the provider, honestly and then
  dishonestly. (OpenID Connect Core 1.0 §3.1, RFC 6749 §4.1, RFC 9700 §4.7)

  Background:
    Given a fake upstream identity provider

  @must @oidc-core-3.1.3.7 @rfc6749-4.1
  Scenario: A user logs in through the upstream provider
    When the user logs in through the upstream provider
    Then the login succeeds

  @must @security @oidc-core-3.1.3.7 @rfc7515-5.2
  Scenario: An ID token signed by someone else's key is refused
    Given the upstream provider misbehaves with "bad-id-token-signature"
    When the user logs in through the upstream provider
    Then the login is refused with a clear error

  @must @security @oidc-core-3.1.3.7 @oidc-core-15.5.2
  Scenario: An ID token minted for another login (wrong nonce) is refused
    Given the upstream provider misbehaves with "wrong-nonce"
    When the user logs in through the upstream provider
    Then the login is refused with a clear error

  @must @security @oidc-core-3.1.3.7
  Scenario: An ID token meant for another client is refused
    Given the upstream provider misbehaves with "wrong-aud"
    When the user logs in through the upstream provider
    Then the login is refused with a clear error

  @must @security @oidc-core-3.1.3.7
  Scenario: An ID token from another issuer is refused
    Given the upstream provider misbehaves with "wrong-iss"
    When the user logs in through the upstream provider
    Then the login is refused with a clear error

  @must @security @oidc-core-3.1.3.7
  Scenario: An expired ID token is refused
    Given the upstream provider misbehaves with "expired-id-token"
    When the user logs in through the upstream provider
    Then the login is refused with a clear error

  @must @security @oidc-core-3.1.3.7 @rfc8725-3.1
  Scenario: An unsigned ID token (alg none) is refused
    Given the upstream provider misbehaves with "alg-none-id-token"
    When the user logs in through the upstream provider
    Then the login is refused with a clear error

  @must @security @rfc6749-10.12 @rfc6749-4.1.2
  Scenario: An answer carrying another login's state is refused
    Given the upstream provider misbehaves with "wrong-state"
    When the user logs in through the upstream provider
    Then the login is refused with a clear error

  @must @security @rfc6749-4.1.2.1
  Scenario: The provider saying access_denied ends the login
    Given the upstream provider misbehaves with "access-denied"
    When the user logs in through the upstream provider
    Then the login is refused with a clear error

  @must @rfc6749-5.2
  Scenario: The provider's token endpoint failing ends the login
    Given the upstream provider misbehaves with "server-error"
    When the user logs in through the upstream provider
    Then the login is refused with a clear error, and the client may try again later

  @must @security @rfc6749-5.2
  Scenario: The provider refusing the code ends the login
    Given the upstream provider misbehaves with "wrong-code-exchange"
    When the user logs in through the upstream provider
    Then the login is refused with a clear error

  @must @security @rfc6749-10.12 @rfc9700-4.7.1
  Scenario: An answer whose state was changed on the way back is refused
    When the user logs in through the upstream provider, and the state is changed on the way back
    Then the login is refused with a clear error

  @must @rfc6749-4.1.2.1
  Scenario: A provider that does not answer is answered promptly, not left hanging
    Given the upstream provider misbehaves with "slow"
    When the user logs in through the upstream provider
    Then the login is refused promptly, with a clear error
