@registration
Feature: Dynamic client registration
  A client can register itself by sending its metadata (redirect URIs,
  grant types, how it will authenticate) to the registration endpoint, and
  receives a client ID and, if it keeps secrets, a client secret. Servers
  that offer management also hand out a registration access token with
  which the client, and only the client, can later read, update or delete
  its registration. (RFC 7591, RFC 7592)

  Background:
    Given the target lets the harness register clients

  @must @rfc7591-3.2.1
  Scenario: A confidential client registers and receives its credentials
    When the client registers with client_secret_basic for the authorization code flow
    Then the registration succeeds with a client ID
    And the registration response carries the client secret and when it expires
    And the registration response repeats the registered metadata

  @must @rfc7592-3
  Scenario: The registration response says how to manage the client later
    When the client registers with client_secret_basic for the authorization code flow
    Then the registration response says where and how to manage the client

  @must @rfc6749-3.1.2 @rfc7591-3.2.2
  Scenario: A redirect URI with a fragment is refused
    When the client registers with the redirect URI "https://client.example.org/callback#section"
    Then the registration is refused with "invalid_redirect_uri"

  @must @security @rfc9700-2.6 @rfc8252-7.3 @rfc7591-3.2.2
  Scenario: A plain-http redirect URI to another machine is refused
    When the client registers with the redirect URI "http://client.example.org/callback"
    Then the registration is refused with "invalid_redirect_uri"

  @should @rfc7591-2.1
  Scenario: Grant types and response types that contradict each other are refused
    When the client registers for the authorization code grant without the code response type
    Then the registration is refused with "invalid_client_metadata" or its types made consistent

  @must @rfc7591-2 @rfc7591-3.2.2
  Scenario: An authentication method the server does not know is not registered
    When the client registers with the authentication method "oauthspec_unheard_of"
    Then the unknown method is refused or replaced with one the server supports

  @must @rfc7592-2.1
  Scenario: The client reads its registration with its registration access token
    Given the client registers with client_secret_basic for the authorization code flow
    When the client reads its registration with its registration access token
    Then the registration read succeeds and shows the client

  @must @security @rfc7592-2.1
  Scenario: Nobody reads a registration without its registration access token
    Given the client registers with client_secret_basic for the authorization code flow
    When the client reads its registration without a registration access token
    Then the registration management request is refused with 401

  @must @security @rfc7592-2.1
  Scenario: One client's registration access token does not open another client's registration
    Given the client registers with client_secret_basic for the authorization code flow
    When the client's registration is read with another client's registration access token
    Then the registration management request is refused with 401

  @must @rfc7592-2.2
  Scenario: The client updates its registration
    Given the client registers with client_secret_basic for the authorization code flow
    When the client updates its registration with the client name "oauthspec: renamed"
    Then the registration update succeeds and shows the client name "oauthspec: renamed"
    And reading the registration shows the client name "oauthspec: renamed"

  @must @security @rfc7592-2.3
  Scenario: A deleted client can no longer get tokens
    Given the client registers with client_secret_basic for the authorization code flow
    And the user has approved an authorization request from the client
    And the client deletes its registration with its registration access token
    When the client exchanges the code for tokens
    Then the token request fails with "invalid_client"
    And reading the deleted registration is refused
