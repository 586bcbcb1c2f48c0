@jwt_attacks
Feature: JWT attacks on the API
  An API that accepts JWT access tokens must check every token's signature
  with its own keys and its own algorithm, and trust nothing the token says
  about how to check it. Attackers edit tokens, strip or forge signatures,
  pick the algorithm, or point the API at keys of their own. Each scenario
  takes a genuine token that the API accepts, forges a variant of it, and
  expects the API to refuse the forgery. (RFC 8725, RFC 7515 §5.2, RFC 9068 §4)

  The rule behind most of them, RFC 9068 §4: "The resource server MUST validate
  the signature of all incoming JWT access tokens according to [RFC7515] using the
  algorithm specified in the JWT "alg" Header Parameter. The resource server MUST
  reject any JWT in which the value of "alg" is "none". The resource server MUST
  use the keys provided by the authorization server."

  Background:
    Given a genuine access token that the API accepts

  @must @security @rfc9068-4 @rfc7518-3.6
  Scenario: A token whose alg is "none", in any spelling, is refused
    RFC 9068 §4: "The resource server MUST reject any JWT in which the value of "alg"
    is "none"." Other spellings are algorithms the server does not know.
    Accepted: any refusal of every variant.

    When the API is presented the genuine token forged with "alg none"
    Then the API refuses every forged token
    And the genuine token is still accepted

  @must @security @rfc9068-4 @rfc7515-5.2
  Scenario: A token with its signature stripped is refused
    RFC 9068 §4: "The resource server MUST validate the signature of all incoming JWT
    access tokens"
    Accepted: any refusal.

    When the API is presented the genuine token forged with "a stripped signature"
    Then the API refuses every forged token
    And the genuine token is still accepted

  @must @security @rfc9068-4 @rfc7515-5.2
  Scenario: A token with a truncated signature is refused
    RFC 9068 §4: "The resource server MUST validate the signature of all incoming JWT
    access tokens"
    Accepted: any refusal.

    When the API is presented the genuine token forged with "a truncated signature"
    Then the API refuses every forged token

  @must @security @rfc9068-4 @rfc7515-5.2
  Scenario: A token whose signature is all zero bytes is refused
    RFC 9068 §4: "The resource server MUST validate the signature of all incoming JWT
    access tokens"
    Accepted: any refusal.

    When the API is presented the genuine token forged with "a zeroed signature"
    Then the API refuses every forged token

  @must @security @rfc9068-4 @rfc7518-3.4 @cve-2022-21449
  Scenario: An ES256 token signed with r = s = 0 (the psychic signature) is refused
    RFC 9068 §4: "The resource server MUST validate the signature of all incoming JWT
    access tokens"; r = s = 0 is never a valid ECDSA signature (RFC 7518 §3.4).
    Accepted: any refusal. Only for targets that sign with ES256.

    When the API is presented the genuine token forged with "the psychic signature"
    Then the API refuses every forged token

  @must @security @rfc8725-2.1 @rfc8725-3.1 @rfc9068-4
  Scenario: A token signed with HMAC using the API's public key (PEM) as the secret is refused
    RFC 8725 §3.1: "each key MUST be used with exactly one algorithm"; RFC 9068 §4:
    "The resource server MUST use the keys provided by the authorization server."
    Accepted: any refusal.

    When the API is presented the genuine token forged with "HMAC keyed with the public key as PEM"
    Then the API refuses every forged token
    And the genuine token is still accepted

  @must @security @rfc8725-2.1 @rfc8725-3.1 @rfc9068-4
  Scenario: A token signed with HMAC using the API's public key (JWK) as the secret is refused
    RFC 8725 §3.1: "each key MUST be used with exactly one algorithm"
    Accepted: any refusal.

    When the API is presented the genuine token forged with "HMAC keyed with the public key as a JWK"
    Then the API refuses every forged token

  @must @security @rfc9068-4 @rfc7515-5.2
  Scenario: A token whose claims were edited after signing is refused
    RFC 9068 §4: "The resource server MUST validate the signature of all incoming JWT
    access tokens"
    Accepted: any refusal.

    When the API is presented the genuine token forged with "tampered claims"
    Then the API refuses every forged token
    And the genuine token is still accepted

  @must @security @rfc9068-4 @rfc8725-3.8 @rfc8725-3.10
  Scenario: A kid crafted to pick a key the attacker knows is refused
    RFC 9068 §4: "The resource server MUST use the keys provided by the authorization
    server." RFC 8725 §3.8: "the application MUST validate that the cryptographic keys
    used for the cryptographic operations in the JWT belong to the issuer."
    Accepted: any refusal.

    When the API is presented the genuine token forged with "kid injection"
    Then the API refuses every forged token

  @must @security @rfc9068-4 @rfc8725-3.8 @cve-2018-0114
  Scenario: A token carrying its own key in a jwk header is refused
    RFC 9068 §4: "The resource server MUST use the keys provided by the authorization
    server."
    Accepted: any refusal.

    When the API is presented the genuine token forged with "an embedded jwk"
    Then the API refuses every forged token

  @must @security @rfc9068-4 @rfc8725-3.8 @rfc7515-4.1.2
  Scenario: A token pointing at an attacker's key set with jku is refused
    RFC 9068 §4: "The resource server MUST use the keys provided by the authorization
    server."
    Accepted: any refusal.

    When the API is presented the genuine token forged with "a jku URL"
    Then the API refuses every forged token

  @should @security @rfc8725-3.10 @rfc7515-4.1.2
  Scenario: The API does not fetch a jku URL a token names
    RFC 8725 §3.10: "blindly following a "jku" (JWK set URL) or "x5u" (X.509 URL)
    header, which may contain an arbitrary URL, could result in server-side request
    forgery (SSRF) attacks. Applications SHOULD protect against such attacks"
    Accepted: no request reaches the URL.

    When the API is presented the genuine token forged with "a jku URL"
    Then the API never fetched the key URL

  @must @security @rfc9068-4 @rfc8725-3.8 @rfc7515-4.1.5
  Scenario: A token pointing at an attacker's certificate with x5u is refused
    RFC 9068 §4: "The resource server MUST use the keys provided by the authorization
    server."
    Accepted: any refusal.

    When the API is presented the genuine token forged with "an x5u URL"
    Then the API refuses every forged token

  @should @security @rfc8725-3.10 @rfc7515-4.1.5
  Scenario: The API does not fetch an x5u URL a token names
    RFC 8725 §3.10: "Applications SHOULD protect against such attacks, e.g., by
    matching the URL to a whitelist of allowed locations"
    Accepted: no request reaches the URL.

    When the API is presented the genuine token forged with "an x5u URL"
    Then the API never fetched the key URL

  @must @security @rfc7515-4.1.11
  Scenario: A token that names an unknown critical header extension is refused
    RFC 7515 §4.1.11: "If any of the listed extension Header Parameters are not
    understood and supported by the recipient, then the JWS is invalid."
    Level: MUST: the same section names the extensions listed in crit as ones that
    "MUST be understood and processed".
    Accepted: any refusal (needs a token the target signs with chosen claims).

    When the API is presented the genuine token forged with "an unknown crit header"
    Then the API refuses every forged token

  @must @security @rfc8725-3.5 @rfc7518-3.2
  Scenario: An HMAC-signed token's secret is not a common, guessable one
    RFC 8725 §3.5: "human-memorizable passwords MUST NOT be directly used as the key to
    a keyed-MAC algorithm such as "HS256"."
    Accepted: none of the harness's dictionary of common secrets verifies the token
    (a PASS says the secret is not a common one, not that it is strong).

    Then no common secret verifies the token's signature
