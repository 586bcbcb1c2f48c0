@scopes
Feature: Scopes
  A scope names what an access token lets its holder do, such as reading
  the user's profile. The client asks for scopes, the authorization server
  grants them, and every API checks that a token carries the scope it needs
  before answering. When it refuses, it says why in a WWW-Authenticate
  challenge. (RFC 6749 §3.3 and §7, RFC 6750 §3)

  # RFC 6749 §3.3 lets a server ignore a scope it does not grant, as long as
  # it says so in the token response; refusing with invalid_scope is the
  # usual, more helpful answer, hence SHOULD. Granting the unknown scope
  # is never allowed.

  @should @rfc6749-4.1.2.1 @rfc6749-3.3
  Scenario: A request for a scope the server does not know is sent back as invalid_scope
    Given a client registered for the authorization code flow
    And an authorization request from the client
    And the request asks only for a scope the server does not know
    When the user logs in and approves the request
    Then the client receives the error "invalid_scope"
    And the authorization response carries the request's state

  @must @rfc6749-3.3 @rfc6749-5.1
  Scenario: The server does not grant a scope it does not know, and says what it granted instead
    Given a client registered for the authorization code flow
    And an authorization request from the client
    And the request also asks for a scope the server does not know
    When the user logs in and approves the request
    And the client exchanges any code it received for tokens
    Then no token carries the scope the server does not know

  @should @rfc6749-4.4.2 @rfc6749-5.2
  Scenario: A client credentials request for a scope the server does not know is refused as invalid_scope
    Given a confidential client allowed to use client credentials
    When the client asks for a client credentials token with a scope the server does not know
    Then the token request fails with "invalid_scope"

  @must @rfc6749-3.3 @rfc6749-5.1
  Scenario: With client credentials too, an unknown scope is not granted and the answer says what was
    Given a confidential client allowed to use client credentials
    When the client asks for a client credentials token with a scope the server does not know
    Then no token carries the scope the server does not know

  @must @security @rfc6749-7 @rfc6750-3.1
  Scenario: An API refuses a token that lacks the scope it needs
    Given the client holds an access token granted only the scope of another API
    When the client calls the API that needs a scope the token lacks
    Then the API refuses the call

  @must @rfc6750-3
  Scenario: An API that refuses a token for lack of scope says how to authenticate
    Given the client holds an access token granted only the scope of another API
    When the client calls the API that needs a scope the token lacks
    Then the answer carries a Bearer challenge in WWW-Authenticate

  @should @rfc6750-3.1
  Scenario: A token lacking a scope is answered 403 insufficient_scope, naming the scope needed
    Given the client holds an access token granted only the scope of another API
    When the client calls the API that needs a scope the token lacks
    Then the API answers 403 with the error "insufficient_scope" in its challenge
    And the challenge names the scope the API needs, if it names one

  @must @rfc6750-3 @rfc6750-3.1
  Scenario: A call without any token is answered 401 with a Bearer challenge
    When the client calls a protected API without any access token
    Then the API answers 401
    And the answer carries a Bearer challenge in WWW-Authenticate

  @should @rfc6750-3.1
  Scenario: A call without any token gets a bare challenge, with no error code
    When the client calls a protected API without any access token
    Then the Bearer challenge carries no error code

  @should @rfc6750-3.1
  Scenario: A token the API cannot make sense of is answered 401 invalid_token
    When the client calls a protected API with a token the server never issued
    Then the API answers 401 with the error "invalid_token" in its challenge
