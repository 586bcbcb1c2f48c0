@authorization_code
Feature: Authorization code grant
  A client sends the user's browser to the authorization server, the user
  logs in and approves, and the browser comes back to the client's
  redirect URI with a one-time code. The client then swaps that code for
  tokens at the token endpoint. (RFC 6749 §4.1)

  Background:
    Given a client registered for the authorization code flow

  @must @rfc6749-4.1.2
  Scenario: The user logs in, approves, and the client receives a code
    Given an authorization request from the client
    When the user logs in and approves the request
    Then the client receives an authorization code
    And the authorization response carries the request's state

  @must @rfc9207-2
  Scenario: The authorization response says which server sent it
    Given an authorization request from the client
    When the user logs in and approves the request
    Then the authorization response names the issuer in iss

  @must @rfc6749-4.1.3
  Scenario: The code is exchanged for tokens that the API accepts
    Given the user has approved an authorization request from the client
    When the client exchanges the code for tokens
    Then the token request succeeds
    And the protected resource accepts the access token

  @must @security @rfc6749-4.1.2 @rfc6749-10.5
  Scenario: A code can be redeemed only once, and reuse revokes its tokens
    Given the user has approved an authorization request from the client
    And the client exchanges the code for tokens
    When the client exchanges the same code again
    Then the token request fails with "invalid_grant"
    And the first access token is refused by the protected resource

  @must @security @rfc6749-4.1.2.1
  Scenario: An unknown client is never redirected to
    Given an authorization request from the client
    And the request's client_id is "no-such-client-oauthspec"
    When the client sends the request
    Then the user is not redirected to the client

  @must @security @rfc6749-3.1.2.4 @rfc9700-4.1.3
  Scenario: An unregistered redirect URI is never redirected to
    Given an authorization request from the client
    And the request's redirect_uri is "http://127.0.0.1:9/evil-callback"
    When the client sends the request
    Then the user is not redirected to the client

  @must @rfc6749-4.1.2.1
  Scenario: A request without response_type is sent back as invalid_request
    Given an authorization request from the client
    And the request has no response_type
    When the client sends the request
    Then the client receives the error "invalid_request"
    And the authorization response carries the request's state

  @must @rfc6749-3.1
  Scenario: A repeated parameter is refused
    Given an authorization request from the client
    And the request repeats its scope
    When the client sends the request
    Then the client receives the error "invalid_request"

  @must @rfc6749-4.1.2.1
  Scenario: The user's refusal reaches the client as access_denied
    Given an authorization request from the client
    When the user logs in and denies the request
    Then the client receives the error "access_denied"
    And the authorization response carries the request's state
