@discovery
Feature: Authorization server metadata
  A client that knows only the server's issuer URL finds everything else in
  a JSON document at a well-known URL: the endpoints, the response types,
  the PKCE methods. Because clients trust what it says, the document must
  name the right issuer and point only at secure endpoints. (RFC 8414)

  Background:
    Given the server's metadata is fetched from its well-known URL

  @must @rfc8414-3 @rfc8414-3.2 @rfc8414-2
  Scenario: The server publishes its metadata as JSON at the well-known URL
    RFC 8414 §3.2: "A successful response MUST use the 200 OK HTTP status code and
    return a JSON object using the "application/json" content type"
    RFC 8414 §2: "issuer REQUIRED." "response_types_supported REQUIRED."
    Accepted: 200, application/json, an object with issuer, response_types_supported,
    and authorization_endpoint / token_endpoint as its grant types require.

    Then the metadata is a JSON document with the required members

  @must @security @rfc8414-3.3
  Scenario: The metadata names the issuer it was fetched for
    RFC 8414 §3.3: "The "issuer" value returned MUST be identical to the authorization
    server's issuer identifier value into which the well-known URI string was inserted
    to create the URL used to retrieve the metadata."
    Accepted: issuer identical to the profile's issuer, with no query or fragment.

    Then the metadata's issuer is the issuer the well-known URL was built from

  @must @rfc8414-2 @rfc6749-3.1 @rfc6749-3.2
  Scenario: The issuer and every endpoint in the metadata use https
    RFC 8414 §2: "issuer REQUIRED. The authorization server's issuer identifier, which
    is a URL that uses the "https" scheme" RFC 6749 §3.1: "the authorization server
    MUST require the use of TLS [...] when sending requests to the authorization
    endpoint." "The endpoint URI MUST NOT include a fragment component."
    Accepted: absolute https URLs without a fragment. A target served over plain http
    on the loopback interface (a local test set-up) SKIPs: TLS cannot be judged there.

    Then every endpoint in the metadata is an absolute https URL

  @must @rfc8414-2
  Scenario: The metadata says the server offers the code response type
    RFC 8414 §2: "response_types_supported REQUIRED. JSON array containing a list of
    the OAuth 2.0 "response_type" values that this authorization server supports."
    Accepted: "code" in response_types_supported, for a server that offers the
    authorization code grant (others SKIP).

    Then the metadata lists "code" among the response types

  @should @rfc9700-2.1.1 @rfc8414-2
  Scenario: The metadata advertises PKCE with the S256 method
    RFC 9700 §2.1.1: "It is RECOMMENDED for authorization servers to publish the
    element code_challenge_methods_supported in their Authorization Server Metadata
    [RFC8414] containing the supported PKCE challenge methods"
    Accepted: "S256" in code_challenge_methods_supported.

    Then the metadata lists "S256" among the PKCE methods
