@jwks
Feature: The server's signing keys
  The server signs its tokens with a private key and publishes the matching
  public keys as a JWK Set at its jwks_uri, so that clients and APIs can
  check those signatures. The set must hold public keys only, each with a
  key ID a verifier can select it by. (RFC 7517, RFC 8414 §2)

  Background:
    Given the server's key set is fetched from its jwks_uri

  @must @rfc7517-5 @rfc8414-2
  Scenario: The jwks_uri serves a set of keys
    Then the key set is a JSON object with a list of keys

  @should @rfc7517-4.5
  Scenario: Every key in the set can be told apart by its key ID
    Then every key in the set has its own key ID

  @must @security @rfc7517-4 @rfc8725-3
  Scenario: The published keys carry no private key material
    Then no key in the set carries private key material

  @must @security @rfc8725-3.1 @rfc7518-6.4
  Scenario: The published keys include no shared secret
    Then no key in the set is a shared secret
