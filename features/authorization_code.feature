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
  Scenario: A code can be redeemed only once
    Given the user has approved an authorization request from the client
    And the client exchanges the code for tokens
    When the client exchanges the same code again
    Then the token request fails with "invalid_grant"

  @should @security @rfc6749-4.1.2 @rfc9700-4.5
  Scenario: Redeeming a code twice revokes the tokens issued from it
    Given the user has approved an authorization request from the client
    And the client exchanges the code for tokens
    When the client exchanges the same code again
    Then the first access token is refused by the protected resource

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

  @must @security @rfc9700-2.1 @rfc6749-3.1.2.4
  Scenario: A redirect URI that only begins like the registered one is never redirected to
    Given an authorization request from the client
    And the request's redirect_uri extends the registered one with "/evil"
    When the client sends the request
    Then the user is not redirected to the client

  @must @security @rfc6749-4.1.2.1
  Scenario: A request without client_id is never redirected
    Given an authorization request from the client
    And the request has no client_id
    When the client sends the request
    Then the user is not redirected to the client

  @must @rfc6749-4.1.2.1 @rfc6749-3.1.1
  Scenario: A request for a token straight from the browser (response_type=token) is refused
    Given an authorization request from the client
    And the request's response_type is "token"
    When the client sends the request
    Then the client gets no token and is told the response type is not allowed

  @must @security @rfc6749-4.1.3 @rfc6749-10.5
  Scenario: A code issued to one client cannot be redeemed by another
    Given a second client registered for the authorization code flow
    And the user has approved an authorization request from the client
    When the second client exchanges the code for tokens
    Then the token request fails with "invalid_grant"

  @must @security @rfc6749-4.1.3 @rfc6749-10.6
  Scenario: A code cannot be redeemed with a redirect URI other than the one it was sent to
    Given the user has approved an authorization request from the client
    When the client exchanges the code for tokens with a different redirect_uri
    Then the token request fails with "invalid_grant"

  @must @rfc6749-4.1.3
  Scenario: A code requested with a redirect URI cannot be redeemed without it
    Given the user has approved an authorization request from the client
    When the client exchanges the code for tokens without the redirect_uri
    Then the token request fails with "invalid_grant"

  # RFC 6749 §4.1.2: codes MUST expire shortly; a lifetime of at most ten
  # minutes is RECOMMENDED. Eleven minutes is past any lifetime the RFC
  # recommends. @serial: the reference server's clock is shared.
  @must @security @serial @rfc6749-4.1.2
  Scenario: An expired code is refused
    Given the user has approved an authorization request from the client
    When 660 seconds pass
    And the client exchanges the code for tokens
    Then the token request fails with "invalid_grant"
