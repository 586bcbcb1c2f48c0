@registration
Feature: Dynamic client registration
  A client can register itself by sending its metadata (redirect URIs,
  grant types, how it will authenticate) to the registration endpoint, and
  receives a client ID and, if it keeps secrets, a client secret. Servers
  that offer management also hand out a registration access token with
  which the client, and only the client, can later read, update or delete
  its registration. (RFC 7591, RFC 7592)

  A server may change what a client asks for: RFC 7591 §3.2.1, "The
  authorization server MAY reject or replace any of the client's requested
  metadata values submitted during the registration and substitute them with
  suitable values." The scenarios accept a refusal or a corrected registration.

  Background:
    Given the target lets the harness register clients

  @must @rfc7591-3.2.1
  Scenario: A confidential client registers and receives its credentials
    RFC 7591 §3.2.1: "client_id REQUIRED." "client_secret_expires_at REQUIRED if
    "client_secret" is issued." "the authorization server MUST return all registered
    metadata about this client, including any fields provisioned by the authorization
    server itself."
    Accepted: 201 with client_id, the registered redirect URIs, and a client_secret
    with client_secret_expires_at when the registered method uses a secret (an absent
    token_endpoint_auth_method means client_secret_basic, RFC 7591 §2).

    When the client registers with client_secret_basic for the authorization code flow
    Then the registration succeeds with a client ID
    And the registration response carries the client secret and when it expires
    And the registration response repeats the registered metadata

  @must @rfc7592-3
  Scenario: The registration response says how to manage the client later
    RFC 7592 §3: "registration_client_uri REQUIRED. String containing the fully
    qualified URL of the client configuration endpoint for this client.
    registration_access_token REQUIRED." (for servers that offer RFC 7592
    management; others SKIP)
    Accepted: both members, the URI absolute.

    When the client registers with client_secret_basic for the authorization code flow
    Then the registration response says where and how to manage the client

  @should @rfc6749-3.1.2 @rfc7591-3.2.2
  Scenario: A redirect URI with a fragment is refused
    RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component." (this
    binds the URI; the server MAY refuse or replace it, RFC 7591 §3.2.1)
    Level: SHOULD: the MUST NOT binds the URI; no BCP 14 keyword tells the server how
    to answer.
    Accepted: 400 with error=invalid_redirect_uri (or invalid_client_metadata), or a
    registration whose redirect URIs no longer hold the fragment.

    When the client registers with the redirect URI "https://client.example.org/callback#section"
    Then the registration is refused with "invalid_redirect_uri" or the URI replaced

  @must @security @rfc9700-2.6 @rfc8252-7.3 @rfc7591-3.2.2
  Scenario: A plain-http redirect URI to another machine is refused
    RFC 9700 §2.6: "authorization servers MUST NOT allow redirection URIs that use the
    http scheme except for native clients that use loopback interface redirection as
    described in Section 7.3 of [RFC8252]."
    Accepted: 400 with error=invalid_redirect_uri (or invalid_client_metadata), or a
    registration that replaced the URI; registering it is a security failure.

    When the client registers with the redirect URI "http://client.example.org/callback"
    Then the registration is refused with "invalid_redirect_uri" or the URI replaced

  @should @rfc7591-2.1
  Scenario: Grant types and response types that contradict each other are refused
    RFC 7591 §2.1: "a server supporting these fields SHOULD take steps to ensure that
    a client cannot register itself into an inconsistent state, for example, by
    returning an "invalid_client_metadata" error response"
    Accepted: 400 error=invalid_client_metadata, or a consistent registration (an
    absent response_types means ["code"], RFC 7591 §2).

    When the client registers for the authorization code grant without the code response type
    Then the registration is refused with "invalid_client_metadata" or its types made consistent

  @should @rfc7591-2 @rfc7591-3.2.2
  Scenario: An authentication method the server does not know is not registered
    RFC 7591 §3.2.2: "invalid_client_metadata The value of one of the client metadata
    fields is invalid and the server has rejected this request. Note that an
    authorization server MAY choose to substitute a valid value for any requested
    parameter of a client's metadata."
    Level: SHOULD: the refusal is described without a BCP 14 keyword, and the server MAY
    substitute a value.
    Accepted: 400 error=invalid_client_metadata, or a registration with a method the
    server supports.

    When the client registers with the authentication method "oauthspec_unheard_of"
    Then the unknown method is refused or replaced with one the server supports

  @must @rfc7592-2.1
  Scenario: The client reads its registration with its registration access token
    RFC 7592 §2.1: "To read the current configuration of the client on the
    authorization server, the client makes an HTTP GET request to the client
    configuration endpoint, authenticating with its registration access token."
    "Upon successful read of the information for a currently active client, the
    authorization server responds with an HTTP 200 OK"
    Level: MUST: registration_client_uri is REQUIRED in the registration response
    (RFC 7592 §3) and names the endpoint this read is for; update and delete may be
    missing (they SKIP on 404), the read may not.
    Accepted: 200 with the client's client_id.

    Given the client registers with client_secret_basic for the authorization code flow
    When the client reads its registration with its registration access token
    Then the registration read succeeds and shows the client

  @must @security @rfc7592-2.1 @rfc6750-3
  Scenario: Nobody reads a registration without its registration access token
    RFC 7592 §2.1: "If the registration access token used to make this request is not
    valid, the server MUST respond with an error as described in Section 3 of [RFC6750]."
    Accepted: 401; a read is a security failure.

    Given the client registers with client_secret_basic for the authorization code flow
    And the client has read its registration with its registration access token
    When the client reads its registration without a registration access token
    Then the registration management request is refused

  @must @security @rfc7592-2.1
  Scenario: One client's registration access token does not open another client's registration
    RFC 7592 §2.1: "If the client does not have permission to read its record, the
    server MUST return an HTTP 403 Forbidden."
    Accepted: 401 or 403; a read is a security failure.

    Given the client registers with client_secret_basic for the authorization code flow
    And the client has read its registration with its registration access token
    When the client's registration is read with another client's registration access token
    Then the registration management request is refused

  @must @rfc7592-2.2
  Scenario: The client updates its registration
    RFC 7592 §2.2: the client updates its registration with a PUT of its metadata; "The
    authorization server MAY include a new client secret and/or registration access
    token in its response. If so, the client MUST immediately discard its previous
    client secret and/or registration access token."
    Accepted: 200 with the new client_name, and a later read (with the newest
    registration access token) that shows it.

    Given the client registers with client_secret_basic for the authorization code flow
    When the client updates its registration with the client name "oauthspec: renamed"
    Then the registration update succeeds and shows the client name "oauthspec: renamed"
    And reading the registration shows the client name "oauthspec: renamed"

  @must @security @rfc7592-2.3 @rfc7592-5
  Scenario: A deleted client can no longer get tokens
    RFC 7592 §2.3: "A successful delete action will invalidate the client_id,
    client_secret, and registration_access_token for this client, thereby preventing
    the client_id from being used at either the authorization endpoint or token
    endpoint of the authorization server."
    Level: MUST: the section defines what a successful delete is; a deleted client that
    still gets tokens was not deleted.
    Accepted: the token request refused (invalid_client, or invalid_grant for a code
    that died with its client); the deleted registration no longer readable (401).

    Given the client registers with client_secret_basic for the authorization code flow
    And the client holds tokens from the authorization code flow
    And the user has approved an authorization request from the client
    And the client has deleted its registration with its registration access token
    When the client exchanges the code for tokens
    Then the token request fails with "invalid_client" or "invalid_grant"
    And reading the deleted registration is refused
