@client_authentication
Feature: Client authentication at the token endpoint
  A confidential client proves who it is each time it asks for tokens,
  usually with its client ID and secret in an HTTP Basic header, or, where
  the server allows it, in the request body. A client that fails is told
  so with invalid_client, and is never given tokens. (RFC 6749 §2.3, §5.2)

  @must @rfc6749-2.3.1
  Scenario: A client authenticates with its ID and secret in a Basic header
    RFC 6749 §2.3.1: "The authorization server MUST support the HTTP Basic
    authentication scheme for authenticating clients that were issued a client password."
    Accepted: 200 with tokens.

    Given a client registered with client_secret_basic for the authorization code flow
    And the user has approved an authorization request from the client
    When the client exchanges the code for tokens
    Then the token request succeeds

  @must @security @rfc6749-4.1.3 @rfc6749-2.3.1
  Scenario Outline: A wrong client secret gets no tokens (<method>)
    RFC 6749 §4.1.3: "The authorization server MUST: o require client authentication
    for confidential clients [...] o authenticate the client if client authentication
    is included"
    Accepted: a refusal with error=invalid_client (RFC 6749 §5.2); tokens are a
    security failure. client_secret_post runs only where the server offers it
    (RFC 6749 §2.3.1: "the authorization server MAY support including the client
    credentials in the request-body").

    Given a client registered with <method> for the authorization code flow
    And the client holds tokens from the authorization code flow
    And the user has approved an authorization request from the client
    When the client exchanges the code for tokens with a wrong secret
    Then the token request fails with "invalid_client"

    Examples:
      | method              |
      | client_secret_basic |
      | client_secret_post  |

  @must @rfc6749-5.2
  Scenario: A wrong secret in a Basic header is answered 401 with a challenge
    RFC 6749 §5.2: "If the client attempted to authenticate via the "Authorization"
    request header field, the authorization server MUST respond with an HTTP 401
    (Unauthorized) status code and include the "WWW-Authenticate" response header
    field matching the authentication scheme used by the client."
    Accepted: 401, error=invalid_client, WWW-Authenticate: Basic.

    Given a client registered with client_secret_basic for the authorization code flow
    And the client holds tokens from the authorization code flow
    And the user has approved an authorization request from the client
    When the client exchanges the code for tokens with a wrong secret
    Then the token request fails with "invalid_client"
    And the refusal challenges the client to authenticate with Basic

  @must @security @rfc6749-5.2
  Scenario: A client the server does not know is refused with invalid_client
    RFC 6749 §5.2: "invalid_client Client authentication failed (e.g., unknown client,
    [...]) [...] If the client attempted to authenticate via the "Authorization" request
    header field, the authorization server MUST respond with an HTTP 401 (Unauthorized)
    status code and include the "WWW-Authenticate" response header field"
    Accepted: 401, error=invalid_client, WWW-Authenticate: Basic; tokens are a security failure.

    Given a client registered with client_secret_basic for the authorization code flow
    And the client holds tokens from the authorization code flow
    And the user has approved an authorization request from the client
    When a client the server does not know exchanges the code for tokens
    Then the token request fails with "invalid_client"
    And the refusal challenges the client to authenticate with Basic

  @must @security @rfc6749-4.1.3 @rfc6749-3.2.1
  Scenario: A confidential client cannot leave out its secret
    RFC 6749 §4.1.3: "The authorization server MUST: o require client authentication
    for confidential clients or for any client that was issued client credentials"
    Accepted: 400 or 401 with error=invalid_client ("no client authentication
    included", RFC 6749 §5.2); tokens are a security failure.

    Given a client registered with client_secret_basic for the authorization code flow
    And the client holds tokens from the authorization code flow
    And the user has approved an authorization request from the client
    When the client exchanges the code for tokens without its secret
    Then the token request fails with "invalid_client"
