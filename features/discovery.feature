@discovery
Feature: Authorization server metadata
  A client that knows only the server's issuer URL finds everything else in
  a JSON document at a well-known URL: the endpoints, the response types,
  the PKCE methods. Because clients trust what it says, the document must
  name the right issuer and point only at secure endpoints. (RFC 8414)

  Background:
    Given the server's metadata is fetched from its well-known URL

  @must @rfc8414-3 @rfc8414-2
  Scenario: The server publishes its metadata as JSON at the well-known URL
    Then the metadata is a JSON document with the required members

  @must @security @rfc8414-3.3
  Scenario: The metadata names the issuer it was fetched for
    Then the metadata's issuer is the issuer the well-known URL was built from

  @must @rfc8414-2 @rfc6749-3.1
  Scenario: Every endpoint in the metadata is an absolute https URL
    Then every endpoint in the metadata is an absolute https URL

  @must @rfc8414-2
  Scenario: The metadata says the server offers the code response type
    Then the metadata lists "code" among the response types

  @should @rfc9700-2.1.1 @rfc8414-2
  Scenario: The metadata advertises PKCE with the S256 method
    Then the metadata lists "S256" among the PKCE methods

  @should @rfc9700-2.1.1
  Scenario: The metadata does not offer the plain PKCE method
    Then the metadata does not list "plain" among the PKCE methods

  @should @rfc9207-3
  Scenario: The metadata says authorization responses name their issuer
    Then the metadata says authorization responses carry the iss parameter
