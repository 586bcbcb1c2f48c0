@scopes
Feature: Scopes
  A scope names what an access token lets its holder do, such as reading
  the user's profile. The client asks for scopes, the authorization server
  grants them, and every API checks that a token carries the scope it needs
  before answering. When it refuses, it says why in a WWW-Authenticate
  challenge. (RFC 6749 §3.3 and §7, RFC 6750 §3)

  # RFC 6749 §3.3 lets a server refuse a scope it does not know (invalid_scope)
  # or ignore it, as long as it says what it granted; both are allowed, so
  # only granting the unknown scope, or not saying, can fail.

  @must @rfc6749-3.3 @rfc6749-5.1
  Scenario: The server does not grant a scope it does not know, and says what it granted instead
    RFC 6749 §3.3: "If the issued access token scope is different from the one
    requested by the client, the authorization server MUST include the "scope"
    response parameter to inform the client of the actual scope granted." RFC 6749
    §5.1: "scope OPTIONAL, if identical to the scope requested by the client;
    otherwise, REQUIRED."
    Accepted: the request refused (an error redirect, or a refused token request), or
    tokens whose scope parameter leaves the unknown scope out.

    Given a client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    And an authorization request from the client
    And the request also asks for a scope the server does not know
    When the user logs in and approves the request
    And the client exchanges any code it received for tokens
    Then no token carries the scope the server does not know

  @must @rfc6749-3.3 @rfc6749-5.1
  Scenario: With client credentials too, an unknown scope is not granted and the answer says what was
    RFC 6749 §3.3: "If the issued access token scope is different from the one
    requested by the client, the authorization server MUST include the "scope"
    response parameter"
    Accepted: 400 error=invalid_scope, or a token whose scope parameter leaves the
    unknown scope out.

    Given the server offers the client credentials grant
    And a confidential client allowed to use client credentials
    And the client gets a token with client credentials
    When the client asks for a client credentials token with a scope the server does not know
    Then no token carries the scope the server does not know

  @must @security @rfc6749-7 @rfc6750-3.1
  Scenario: An API refuses a token that lacks the scope it needs
    RFC 6749 §7: "The resource server MUST validate the access token and ensure that it
    has not expired and that its scope covers the requested resource."
    Accepted: any refusal; its shape is judged below.

    Given the client holds an access token granted only the scope of another API
    When the client calls the API that needs a scope the token lacks
    Then the API refuses the call

  @must @rfc6750-3
  Scenario: An API that refuses a token for lack of scope says how to authenticate
    RFC 6750 §3: "If the protected resource request does not include authentication
    credentials or does not contain an access token that enables access to the
    protected resource, the resource server MUST include the HTTP "WWW-Authenticate"
    response header field"
    Accepted: a refusal with WWW-Authenticate: Bearer.

    Given the client holds an access token granted only the scope of another API
    When the client calls the API that needs a scope the token lacks
    Then the answer carries a Bearer challenge in WWW-Authenticate

  @should @rfc6750-3.1
  Scenario: A token lacking a scope is answered 403 insufficient_scope, naming the scope needed
    RFC 6750 §3.1: "insufficient_scope The request requires higher privileges than
    provided by the access token. The resource server SHOULD respond with the HTTP 403
    (Forbidden) status code and MAY include the "scope" attribute with the scope
    necessary to access the protected resource."
    Accepted: 403 with error="insufficient_scope" and, if a scope attribute is given,
    the scope the API needs.

    Given the client holds an access token granted only the scope of another API
    When the client calls the API that needs a scope the token lacks
    Then the API answers 403 with the error "insufficient_scope" in its challenge
    And the challenge names the scope the API needs, if it names one

  @must @security @rfc6750-3 @rfc6749-7
  Scenario: A call without any token is refused with a Bearer challenge
    RFC 6750 §3: "If the protected resource request does not include authentication
    credentials [...] the resource server MUST include the HTTP "WWW-Authenticate"
    response header field" "All challenges defined by this specification MUST use the
    auth-scheme value "Bearer"."
    Accepted: a refusal with WWW-Authenticate: Bearer; an answer is a security failure.

    When the client calls a protected API without any access token
    Then the API refuses the call
    And the answer carries a Bearer challenge in WWW-Authenticate

  @should @rfc6750-3 @rfc9110-15.5.2
  Scenario: A call without any token is answered 401
    RFC 9110 §15.5.2: "The 401 (Unauthorized) status code indicates that the request has
    not been applied because it lacks valid authentication credentials for the target
    resource." RFC 6750 §3 shows it: "in response to a protected resource request without
    authentication: HTTP/1.1 401 Unauthorized" (no BCP 14 keyword, hence SHOULD).
    Accepted: 401.

    When the client calls a protected API without any access token
    Then the API answers 401

  @should @rfc6750-3.1
  Scenario: A call without any token gets a bare challenge, with no error code
    RFC 6750 §3.1: "If the request lacks any authentication information (e.g., the client
    was unaware that authentication is necessary or attempted using an unsupported
    authentication method), the resource server SHOULD NOT include an error code or
    other error information."
    Accepted: a Bearer challenge without error or error_description.

    When the client calls a protected API without any access token
    Then the Bearer challenge carries no error code

  @should @rfc6750-3.1
  Scenario: A token the API cannot make sense of is answered 401 invalid_token
    RFC 6750 §3.1: "invalid_token The access token provided is expired, revoked,
    malformed, or invalid for other reasons. The resource SHOULD respond with the HTTP
    401 (Unauthorized) status code."
    Accepted: 401 with error="invalid_token" in the Bearer challenge.

    When the client calls a protected API with a token the server never issued
    Then the API answers 401 with the error "invalid_token" in its challenge
