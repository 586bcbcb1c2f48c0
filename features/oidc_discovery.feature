@oidc_discovery
Feature: OpenID Provider configuration
  An OpenID Provider describes itself in a JSON document at its issuer URL plus
  /.well-known/openid-configuration: its endpoints, its keys, what it signs ID
  tokens with. Clients build everything on it, so it must name the issuer it was
  fetched for and hold what the spec requires. (OpenID Connect Discovery 1.0 §3,
  §4; the OpenID Foundation's Config OP checks)

  A target that serves no such document is not checked as an OpenID Provider:
  these scenarios SKIP.

  Background:
    Given the OpenID Provider configuration is fetched from its well-known URL

  @must @oidc-discovery-4 @oidc-discovery-4.2 @oidc-discovery-3
  Scenario: The configuration is a JSON document with the required members
    OpenID Connect Discovery §4.2: "A successful response MUST use the 200 OK HTTP status
    code and return a JSON object using the application/json content type" §3: "issuer
    REQUIRED." "authorization_endpoint REQUIRED." "jwks_uri REQUIRED."
    "response_types_supported REQUIRED." "subject_types_supported REQUIRED."
    "id_token_signing_alg_values_supported REQUIRED." "token_endpoint [...] This is
    REQUIRED unless only the Implicit Flow is used."
    Accepted: 200, application/json, an object with those members (token_endpoint unless
    response_types_supported lists only implicit response types).

    Then the configuration is a JSON document with the required members

  @must @security @oidc-discovery-4.3
  Scenario: The configuration names the issuer it was fetched for
    OpenID Connect Discovery §4.3: "The issuer value returned MUST be identical to the
    Issuer URL that was used as the prefix to /.well-known/openid-configuration to
    retrieve the configuration information."
    Accepted: issuer identical to the issuer the well-known URL was built from.

    Then the configuration's issuer is the issuer the well-known URL was built from

  @must @oidc-discovery-3
  Scenario: The configuration lists RS256 for ID tokens
    OpenID Connect Discovery §3: "id_token_signing_alg_values_supported REQUIRED. JSON
    array containing a list of the JWS signing algorithms (alg values) supported by the OP
    for the ID Token to encode the Claims in a JWT [JWT]. The algorithm RS256 MUST be
    included."
    Accepted: "RS256" in id_token_signing_alg_values_supported.

    Then the configuration lists "RS256" for ID tokens

  @must @oidc-discovery-3
  Scenario: The configuration's scopes include openid
    OpenID Connect Discovery §3: "scopes_supported RECOMMENDED. JSON array containing a
    list of the OAuth 2.0 [RFC6749] scope values that this server supports. The server
    MUST support the openid scope value."
    Accepted: "openid" in scopes_supported. A configuration without scopes_supported SKIPs
    (the member is RECOMMENDED, and without it there is nothing to check).

    Then the configuration's scopes include "openid"
