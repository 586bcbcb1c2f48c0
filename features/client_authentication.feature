@client_authentication
Feature: Client authentication at the token endpoint
  A confidential client proves who it is each time it asks for tokens,
  usually with its client ID and secret in an HTTP Basic header, or, where
  the server allows it, in the request body. A client that fails is told
  so with invalid_client, and is never given tokens. (RFC 6749 §2.3, §5.2)

  @must @rfc6749-2.3.1
  Scenario: A client authenticates with its ID and secret in a Basic header
    Given a client registered with client_secret_basic for the authorization code flow
    And the user has approved an authorization request from the client
    When the client exchanges the code for tokens
    Then the token request succeeds

  @may @rfc6749-2.3.1
  Scenario: A client authenticates with its ID and secret in the request body
    Given a client registered with client_secret_post for the authorization code flow
    And the user has approved an authorization request from the client
    When the client exchanges the code for tokens
    Then the token request succeeds

  @must @security @rfc6749-2.3.1 @rfc6749-3.2.1
  Scenario: A wrong client secret gets no tokens
    Given a client registered with client_secret_basic for the authorization code flow
    And the user has approved an authorization request from the client
    When the client exchanges the code for tokens with a wrong secret
    Then the client gets no tokens and is told "invalid_client"

  @must @rfc6749-5.2
  Scenario: A wrong secret in a Basic header is answered 401 with a challenge
    Given a client registered with client_secret_basic for the authorization code flow
    And the user has approved an authorization request from the client
    When the client exchanges the code for tokens with a wrong secret
    Then the token request fails with "invalid_client"
    And the refusal challenges the client to authenticate with Basic

  @must @rfc6749-5.2
  Scenario: A client the server does not know is refused with invalid_client
    Given a client registered with client_secret_basic for the authorization code flow
    And the user has approved an authorization request from the client
    When a client the server does not know exchanges the code for tokens
    Then the token request fails with "invalid_client"

  @must @security @rfc6749-3.2.1
  Scenario: A confidential client cannot leave out its secret
    Given a client registered with client_secret_basic for the authorization code flow
    And the user has approved an authorization request from the client
    When the client exchanges the code for tokens without its secret
    Then the token request is refused as unauthenticated

  @should @rfc6749-2.3
  Scenario: A client that uses two authentication methods at once is refused
    Given a client registered with client_secret_basic for the authorization code flow
    And the user has approved an authorization request from the client
    When the client exchanges the code for tokens with its secret both in the header and in the body
    Then the token request is refused for using two authentication methods
