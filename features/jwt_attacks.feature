@jwt_attacks
Feature: JWT attacks on the API
  An API that accepts JWT access tokens must check every token's signature
  with its own keys and its own algorithm, and trust nothing the token says
  about how to check it. Attackers edit tokens, strip or forge signatures,
  pick the algorithm, or point the API at keys of their own. Each scenario
  takes a genuine token that the API accepts, forges a variant of it, and
  expects the API to refuse the forgery. (RFC 8725, RFC 7515 §5.2)

  Background:
    Given a genuine access token that the API accepts

  @must @security @rfc8725-3.1 @rfc7518-3.6
  Scenario: A token whose alg is "none", in any spelling, is refused
    When the API is presented the genuine token forged with "alg none"
    Then the API refuses every forged token
    And the genuine token is still accepted

  @must @security @rfc7515-5.2
  Scenario: A token with its signature stripped is refused
    When the API is presented the genuine token forged with "a stripped signature"
    Then the API refuses every forged token
    And the genuine token is still accepted

  @must @security @rfc7515-5.2
  Scenario: A token with a truncated signature is refused
    When the API is presented the genuine token forged with "a truncated signature"
    Then the API refuses every forged token

  @must @security @rfc7515-5.2
  Scenario: A token whose signature is all zero bytes is refused
    When the API is presented the genuine token forged with "a zeroed signature"
    Then the API refuses every forged token

  @must @security @rfc7518-3.4 @cve-2022-21449
  Scenario: An ES256 token signed with r = s = 0 (the psychic signature) is refused
    When the API is presented the genuine token forged with "the psychic signature"
    Then the API refuses every forged token

  @must @security @rfc8725-2.1 @rfc8725-3.1
  Scenario: A token signed with HMAC using the API's public key (PEM) as the secret is refused
    When the API is presented the genuine token forged with "HMAC keyed with the public key as PEM"
    Then the API refuses every forged token
    And the genuine token is still accepted

  @must @security @rfc8725-2.1 @rfc8725-3.1
  Scenario: A token signed with HMAC using the API's public key (JWK) as the secret is refused
    When the API is presented the genuine token forged with "HMAC keyed with the public key as a JWK"
    Then the API refuses every forged token

  @must @security @rfc7515-5.2 @rfc9068-4
  Scenario: A token whose claims were edited after signing is refused
    When the API is presented the genuine token forged with "tampered claims"
    Then the API refuses every forged token
    And the genuine token is still accepted

  @must @security @rfc8725-3.10
  Scenario: A kid crafted to pick a key the attacker knows is refused
    When the API is presented the genuine token forged with "kid injection"
    Then the API refuses every forged token

  @must @security @rfc8725-3.10 @cve-2018-0114
  Scenario: A token carrying its own key in a jwk header is refused
    When the API is presented the genuine token forged with "an embedded jwk"
    Then the API refuses every forged token

  @must @security @rfc8725-3.10 @rfc7515-4.1.2
  Scenario: A token pointing at an attacker's key set with jku is refused, and the URL never fetched
    When the API is presented the genuine token forged with "a jku URL"
    Then the API refuses every forged token
    And the API never fetched the key URL

  @must @security @rfc8725-3.10 @rfc7515-4.1.5
  Scenario: A token pointing at an attacker's certificate with x5u is refused, and the URL never fetched
    When the API is presented the genuine token forged with "an x5u URL"
    Then the API refuses every forged token
    And the API never fetched the key URL

  @must @security @rfc7515-4.1.11
  Scenario: A token that names an unknown critical header extension is refused
    When the API is presented the genuine token forged with "an unknown crit header"
    Then the API refuses every forged token

  @must @security @rfc8725-3.5 @rfc7518-3.2
  Scenario: An HMAC-signed token's secret is not a common, guessable one
    Then no common secret verifies the token's signature
