@authentication_request
Feature: Authentication request parameters
  An OpenID Connect authentication request is an OAuth authorization request
  with more to say: prompt asks the provider not to show any page (none), max_age
  asks when the user last logged in, and request carries the whole request as a
  JWT. The provider must honour them, or refuse them the way the spec says.
  (OpenID Connect Core 1.0 §3.1.2.1, §3.1.2.6, §6.1)

  Background:
    Given the target is an OpenID Provider
    And a client registered for the authorization code flow

  @must @oidc-core-3.1.2.1 @oidc-core-3.1.2.6
  Scenario: prompt=none without a logged-in user is answered with an error, never a page
    OpenID Connect Core §3.1.2.1: "none The Authorization Server MUST NOT display any
    authentication or consent user interface pages. An error is returned if an End-User is
    not already authenticated or the Client does not have pre-configured consent for the
    requested Claims or does not fulfill other conditions for processing the request. The
    error code will typically be login_required, interaction_required, or another code
    defined in Section 3.1.2.6."
    Accepted: a redirect to the client with error login_required, interaction_required,
    consent_required or account_selection_required (§3.1.2.6) and the request's state,
    sent before the user ever logged in in this scenario; judged after a request without
    prompt=none got a code. A server with no login page at all ([login] strategy = "none")
    authenticates without showing one, so a code with the state is accepted from it.

    When the client sends an authentication request with prompt=none before the user has logged in
    And the client gets a code for a well-formed request
    Then the prompt=none request was answered with an error that asks for the user

  @must @oidc-core-3.1.2.1 @oidc-core-2
  Scenario: An authentication request with max_age gets an ID token with auth_time
    OpenID Connect Core §3.1.2.1: "When max_age is used, the ID Token returned MUST
    include an auth_time Claim Value." §2: "auth_time Time when the End-User
    authentication occurred. Its value is a JSON number representing the number of
    seconds from 1970-01-01T00:00:00Z as measured in UTC until the date/time."
    Accepted: auth_time a number, not later than the ID token's iat.

    When the user logs in for an authentication request with max_age "3600"
    Then the ID token says when the user logged in

  @must @oidc-core-6.1 @oidc-core-3.1.2.6
  Scenario: A request object is either followed or refused with request_not_supported
    OpenID Connect Core §6.1: "Support for the request parameter is OPTIONAL. The
    request_parameter_supported Discovery result indicates whether the OP supports this
    parameter. Should an OP not support this parameter and an RP uses it, the OP MUST
    return the request_not_supported error." "the OpenID Connect request parameter values
    contained in the JWT supersede those passed using the OAuth 2.0 request syntax."
    Accepted: a code with the state that only the request object carried (the object was
    followed), or a redirect with error=request_not_supported; invalid_request_object only
    when the configuration's request_object_signing_alg_values_supported leaves out none.
    The object is unsigned (alg none, §6.1) and repeats response_type, client_id and
    scope, which the query carries too; judged after a plain request got a code.

    When the client sends its authentication request as an unsigned request object
    And the client gets a code for a well-formed request
    Then the request object was either followed or refused with "request_not_supported"

  @must @oidc-core-6.2 @oidc-core-3.1.2.6
  Scenario: A request object by reference is either followed or refused with request_uri_not_supported
    OpenID Connect Core §6.2: "Support for the request_uri parameter is OPTIONAL. The
    request_uri_parameter_supported Discovery result indicates whether the OP supports
    this parameter. Should an OP not support this parameter and an RP uses it, the OP MUST
    return the request_uri_not_supported error."
    Accepted: a code with the state that only the request object carried (the provider
    fetched and followed it), or a redirect with error=request_uri_not_supported;
    invalid_request_uri when the configuration says request_uri_parameter_supported (the
    harness serves the object over http on loopback, which §6.2 lets a provider refuse for
    an unsigned object), and invalid_request_object when it takes only signed objects.
    Judged after a plain request got a code.

    When the client sends its authentication request as an unsigned request object at a request_uri
    And the client gets a code for a well-formed request
    Then the request_uri was either followed or refused with "request_uri_not_supported"

  @must @oidc-core-3.1.2.1
  Scenario: An authentication request sent with POST gets a code
    OpenID Connect Core §3.1.2.1: "Authorization Servers MUST support the use of the HTTP
    GET and POST methods defined in RFC 7231 [RFC7231] at the Authorization Endpoint."
    "If using the HTTP POST method, the request parameters are serialized using Form
    Serialization".
    Accepted: the request's parameters sent as an application/x-www-form-urlencoded POST
    to the authorization endpoint, walked through login and consent, end in a redirect to
    the client with a code and the request's state, after a plain GET request of the same
    client got one. (The OpenID Foundation's suite only warns here, and its working group
    has discussed the rule; the text still says MUST, so oauthspec judges it so.)

    Given the client gets a code for a well-formed request
    When the client sends an authentication request with POST and the user logs in
    Then the client receives an authorization code, as it does for a plain request

  @must @oidc-core-5.5.1 @oidc-core-5.5
  Scenario: An authentication request asking for an essential claim still gets a code
    OpenID Connect Core §5.5.1: "Note that even if the Claims are not available because
    the End-User did not authorize their release or they are not present, the
    Authorization Server MUST NOT generate an error when Claims are not returned, whether
    they are Essential or Voluntary, unless otherwise specified in the description of the
    specific claim." (A provider that does not support the claims parameter ignores it,
    RFC 6749 §3.1.)
    Accepted: a redirect to the client with a code and the request's state; the request
    asks for name as an essential claim of the ID token and of the UserInfo answer. Judged
    after a request without claims got a code.

    Given the client gets a code for a well-formed request
    When the client sends an authentication request asking for the essential claim "name" and the user logs in
    Then the client receives an authorization code, as it does for a plain request

  @must @serial @oidc-core-3.1.2.1 @oidc-core-3.1.2.6 @oidc-core-2
  Scenario: prompt=none after a login is answered without a page
    OpenID Connect Core §3.1.2.1: "none The Authorization Server MUST NOT display any
    authentication or consent user interface pages. An error is returned if an End-User is
    not already authenticated or the Client does not have pre-configured consent for the
    requested Claims or does not fulfill other conditions for processing the request."
    §2: "auth_time Time when the End-User authentication occurred."
    Accepted: in the browser where the user just logged in, a redirect to the client with
    the request's state and either a code, whose ID token names the same sub and the same
    auth_time as the login's (nobody logged in again), or login_required,
    interaction_required, consent_required or account_selection_required (a provider that
    keeps no login session, or asks for consent every time). Two seconds pass on the
    target's clock first, so an auth_time set anew would show.

    Given the user has logged in for an authentication request with the openid scope
    When a little later the client sends an authentication request with prompt=none in the same browser
    Then the prompt=none request was answered without a page, with a code for the same login or an error that asks for the user

  @must @serial @oidc-core-3.1.2.1
  Scenario: A max_age shorter than the time since the login makes the provider log the user in again
    OpenID Connect Core §3.1.2.1: "max_age OPTIONAL. Maximum Authentication Age. Specifies
    the allowable elapsed time in seconds since the last time the End-User was actively
    authenticated by the OP. If the elapsed time is greater than this value, the OP MUST
    attempt to actively re-authenticate the End-User." "When max_age is used, the ID Token
    returned MUST include an auth_time Claim Value."
    Accepted: after a login and two seconds on the target's clock, a request with max_age=1
    in the same browser ends in an ID token whose auth_time is later than the first login's
    (its auth_time, or its ID token's iat when it has none). The walker logs in again when the
    login page comes back.

    Given the user has logged in for an authentication request with the openid scope
    When time passes and the user logs in for an authentication request with max_age "1"
    Then the new ID token says the user logged in again
