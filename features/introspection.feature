@introspection
Feature: Token introspection
  A resource server that receives a token can ask the authorization server
  about it: it posts the token to the introspection endpoint, authenticating
  itself, and learns whether the token is active and, if so, for whom, for
  which client and with which scope. About any other token it learns
  nothing but "active": false. (RFC 7662)

  Background:
    Given a client registered for the authorization code flow
    And the client holds tokens from the authorization code flow

  @must @security @rfc7662-2.1 @rfc7662-4
  Scenario: Only an authorized caller may introspect tokens
    When an unauthenticated caller introspects the client's access token
    Then the introspection request is refused as unauthenticated

  @must @rfc7662-2.2
  Scenario: A valid access token is reported active, and described truthfully
    When the client introspects its access token
    Then the introspection answer says the token is active
    And the introspection answer describes the access token truthfully

  @may @rfc7662-2.2
  Scenario: The answer about an active token says what it is worth
    When the client introspects its access token
    Then the introspection answer says the token is active
    And the introspection answer includes scope, client_id, sub, exp, iat, iss and token_type

  @must @rfc7662-2.2
  Scenario: A token the server never issued is reported inactive
    When the client introspects a token the server never issued
    Then the introspection answer says the token is inactive

  @must @security @rfc7662-2.2 @rfc7009-2.1
  Scenario: A revoked refresh token is reported inactive
    When the client revokes its refresh token
    And the client introspects its refresh token
    Then the introspection answer says the token is inactive

  @should @security @rfc7662-2.2 @rfc7662-4
  Scenario: The answer about an inactive token says nothing more
    When the client introspects a token the server never issued
    Then the introspection answer is exactly {"active": false}
    When the client revokes its access token
    And the client introspects its access token
    Then the introspection answer is exactly {"active": false}
    When the client revokes its refresh token
    And the client introspects its refresh token
    Then the introspection answer is exactly {"active": false}

  @may @rfc7662-2.1
  Scenario: A refresh token is reported active while it is valid
    When the client introspects its refresh token
    Then the introspection answer says the token is active
