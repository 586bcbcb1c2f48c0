@resource_server
Feature: What a resource server checks in an access token
  A good signature is not enough: the API must also check that the token
  was issued by the server it trusts, for this API, is an access token and
  not some other JWT, and is within its lifetime. It takes the token only
  from the Authorization header, and answers a refused token with 401 and
  a Bearer challenge that says invalid_token.
  (RFC 9068 §4, RFC 7519 §4.1, RFC 6750 §2 and §3)

  Background:
    Given a genuine access token that the API accepts

  @must @security @rfc9068-4 @rfc7519-4.1.4
  Scenario: A token whose exp has passed is refused
    When the API is presented a token the target signed with "exp in the past"
    Then the API refuses it

  @must @security @rfc7519-4.1.5
  Scenario: A token whose nbf is still in the future is refused
    When the API is presented a token the target signed with "nbf in the future"
    Then the API refuses it

  @should @security @rfc7519-4.1.6 @rfc8725-3.8
  Scenario: A token issued a day in the future is refused
    When the API is presented a token the target signed with "iat far in the future"
    Then the API refuses it

  @must @security @rfc9068-2.2 @rfc9068-4
  Scenario: A token without exp is refused
    When the API is presented a token the target signed with "no exp"
    Then the API refuses it

  @must @security @rfc9068-4 @rfc8725-3.8
  Scenario: A token issued by another issuer is refused
    When the API is presented a token the target signed with "another issuer"
    Then the API refuses it

  @must @security @rfc9068-4 @rfc8725-3.9
  Scenario: A token meant for another API is refused
    When the API is presented a token the target signed with "another audience"
    Then the API refuses it

  @must @security @rfc9068-4 @rfc8725-3.11
  Scenario: A JWT that is not typed at+jwt is not accepted as an access token
    When the API is presented a token the target signed with "typ JWT instead of at+jwt"
    Then the API refuses it

  @must @security @rfc9068-4 @rfc8725-3.11
  Scenario: An ID token is not accepted as an access token
    When the API is presented the ID token as an access token
    Then the API refuses it

  @must @security @rfc6749-1.5 @rfc6749-10.4
  Scenario: A refresh token is not accepted as an access token
    When the API is presented the refresh token as an access token
    Then the API refuses it

  @must @security @rfc7009-2.1
  Scenario: A revoked or logged-out token is refused afterwards
    When the genuine token is revoked
    Then the API refuses it

  @must @security @rfc6750-2.3 @rfc9700-4.3.2
  Scenario: A token in the query string is not accepted
    When the API is presented the genuine token in the query string
    Then the API refuses it

  @must @security @rfc6750-2.2 @rfc9700-4.3.2
  Scenario: A token in a form-encoded body is not accepted
    When the API is presented the genuine token in a form-encoded body
    Then the API refuses it

  @must @rfc9110-11.1 @rfc6750-2.1
  Scenario: The Bearer scheme name is matched without regard to case
    Then the API accepts the genuine token with the scheme written "bearer"
    And the API accepts the genuine token with the scheme written "BEARER"

  @must @rfc6750-3.1 @rfc7515-7.1
  Scenario: Malformed tokens and a 1 MB token are refused without a server error
    When the API is presented the genuine token forged with "malformed encodings"
    Then the API refuses every forged token
    And none of the refusals is a server error

  @must @rfc6750-3
  Scenario: Every refusal of a forged token carries a Bearer challenge
    When the API is presented the genuine token forged with "a sample of forgeries"
    Then every refusal carries a Bearer challenge in WWW-Authenticate

  @should @rfc6750-3.1
  Scenario: A forged token is answered 401 with invalid_token in the challenge
    When the API is presented the genuine token forged with "a sample of forgeries"
    Then every refusal is 401 with the error "invalid_token" in its challenge
