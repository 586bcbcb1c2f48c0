@jwks
Feature: The server's signing keys
  The server signs its tokens with a private key and publishes the matching
  public keys as a JWK Set at its jwks_uri, so that clients and APIs can
  check those signatures. The set must hold public keys only, each with a
  key ID a verifier can select it by. (RFC 7517, RFC 8414 §2)

  Background:
    Given the server's key set is fetched from its jwks_uri

  @must @rfc8414-2 @rfc7517-5
  Scenario: The jwks_uri serves a set of keys
    RFC 8414 §2: "jwks_uri [...] URL of the authorization server's JWK Set [JWK]
    document. The referenced document contains the signing key(s) the client uses to
    validate signatures from the authorization server." RFC 7517 §5: "keys [...] This
    member is REQUIRED"
    Accepted: 200 with a JSON object whose keys member is a non-empty array of JWKs.

    Then the key set is a JSON object with a list of keys

  @should @rfc7517-4.5
  Scenario: Every key in the set can be told apart by its key ID
    RFC 7517 §4.5: "When "kid" values are used within a JWK Set, different keys within
    the JWK Set SHOULD use distinct "kid" values. (One example in which different keys
    might use the same "kid" value is if they have different "kty" (key type) values"
    Accepted: distinct kids among keys of one key type; keys without a kid are allowed.

    Then every key in the set has its own key ID

  @must @security @oidc-discovery-3 @rfc8414-2
  Scenario: The published keys carry no private key material
    OpenID Connect Discovery 1.0 §3: "The JWK Set MUST NOT contain private or symmetric
    key values." (RFC 8414 §2: the set holds the keys "the client uses to validate
    signatures")
    Accepted: no key with d, p, q, dp, dq, qi or oth.

    Then no key in the set carries private key material

  @must @security @oidc-discovery-3 @rfc8414-2
  Scenario: The published keys include no shared secret
    OpenID Connect Discovery 1.0 §3: "The JWK Set MUST NOT contain private or symmetric
    key values."
    Accepted: no key with kty "oct" or a k member.

    Then no key in the set is a shared secret
