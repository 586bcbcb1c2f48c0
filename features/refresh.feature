@refresh
Feature: Refresh tokens
  Access tokens are short-lived. With the access token, the server can hand
  the client a refresh token: a long-lived credential that the client sends
  to the token endpoint to get a fresh access token without asking the user
  again. Because a stolen refresh token is so valuable, the server binds it
  to its client, never lets it widen the grant, and replaces it at every use
  so that a replayed copy gives the theft away. (RFC 6749 §6, RFC 9700 §4.14)

  @must @rfc6749-6
  Scenario: A refresh token gets a new access token that the API accepts
    RFC 6749 §6: "If valid and authorized, the authorization server issues an access
    token as described in Section 5.1."
    Level: MUST: this is the refresh grant itself, which RFC 6749 §1.5 defines as "used
    to obtain a new access token when the current access token becomes invalid or
    expires"; every other refresh rule rests on it.
    Accepted: 200 with tokens that the API accepts. Servers that issue no refresh
    tokens SKIP ("Issuing a refresh token is optional", RFC 6749 §1.5).

    Given a client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    When the client refreshes its tokens
    Then the token request succeeds
    And the protected resource accepts the access token

  @must @security @rfc9700-2.2.2 @rfc9700-4.14.2
  Scenario: A public client's refresh token is replaced by a new one at every use
    RFC 9700 §2.2.2: "Refresh tokens for public clients MUST be sender-constrained or
    use refresh token rotation as described in Section 4.14."
    Accepted: a new refresh token, different from the one used. Sender-constrained
    refresh tokens (DPoP, mTLS), which the harness cannot present, SKIP.

    Given a public client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    When the client refreshes its tokens
    Then the token request succeeds
    And the client receives a new refresh token, different from the one it used

  @must @security @rfc9700-2.2.2 @rfc9700-4.14.2
  Scenario: A refresh token that has been replaced cannot be used again
    RFC 9700 §4.14.2: "Refresh token rotation: the authorization server issues a new
    refresh token with every access token refresh response. The previous refresh token
    is invalidated"
    Level: MUST: RFC 9700 §2.2.2: "Refresh tokens for public clients MUST be
    sender-constrained or use refresh token rotation as described in Section 4.14";
    rotation, as §4.14.2 defines it, invalidates the previous token.
    Accepted: 400 error=invalid_grant; tokens are a security failure.

    Given a public client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    And the client has refreshed its tokens
    When the client refreshes again with the refresh token it has already used
    Then the token request fails with "invalid_grant"

  @must @security @rfc9700-2.2.2 @rfc9700-4.14.2
  Scenario: Replaying a replaced refresh token also kills the newest one
    RFC 9700 §4.14.2: "If a refresh token is compromised and subsequently used by both
    the attacker and the legitimate client, one of them will present an invalidated
    refresh token, which will inform the authorization server of the breach. The
    authorization server cannot determine which party submitted the invalid refresh
    token, but it will revoke the active refresh token."
    Level: MUST: the rotation RFC 9700 §2.2.2 requires ("MUST be sender-constrained or
    use refresh token rotation") is defined by §4.14.2, this detection included.
    Accepted: the newest refresh token refused with 400 error=invalid_grant.

    Given a public client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    And the client has refreshed its tokens
    When the client refreshes again with the refresh token it has already used
    Then the client's newest refresh token no longer works

  @must @rfc6749-3.3 @rfc6749-6
  Scenario: A client that asks for less scope when refreshing is told what it got
    RFC 6749 §3.3: "The authorization server MAY fully or partially ignore the scope
    requested by the client [...]. If the issued access token scope is different from
    the one requested by the client, the authorization server MUST include the "scope"
    response parameter to inform the client of the actual scope granted."
    Accepted: 200 whose token is limited to the narrower scope, or whose scope
    parameter names what was granted instead.

    Given a client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    When the client refreshes its tokens asking for a narrower scope
    Then the token request succeeds
    And the refreshed access token works within the scope the answer names

  @must @rfc6749-6
  Scenario: A refresh token issued on a narrower refresh keeps the scope of the one it replaced
    RFC 6749 §6: "If a new refresh token is issued, the refresh token scope MUST be
    identical to that of the refresh token included by the client in the request."
    Accepted: a refresh with the new refresh token and no scope parameter gets the
    original, full scope ("if omitted is treated as equal to the scope originally
    granted by the resource owner"). Servers that keep the refresh token SKIP.

    Given a client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    And the client has refreshed its tokens asking for a narrower scope
    When the client refreshes its tokens
    Then the token request succeeds
    And the refreshed access token covers the original scope

  @must @security @rfc6749-6 @rfc6749-3.3 @rfc9700-4.14.2
  Scenario: Refreshing cannot widen the scope beyond what the user granted
    RFC 6749 §6: "The requested scope MUST NOT include any scope not originally granted
    by the resource owner" RFC 9700 §4.14.2: "those refresh tokens MUST be bound to the
    scope and resource servers as consented by the resource owner."
    Accepted: 400 error=invalid_scope, or 200 with a token limited to the granted scope
    (RFC 6749 §3.3 lets the server ignore the wider request, and then its scope
    parameter must say so). A token that works beyond the grant is a security failure.

    Given a client registered for the authorization code flow
    And the client holds tokens the user granted for a narrower scope
    When the client refreshes its tokens asking for its full scope
    Then no token beyond the granted scope is issued

  @must @security @rfc6749-10.4 @rfc6749-6
  Scenario: Another client cannot use this client's refresh token
    RFC 6749 §10.4: "The authorization server MUST verify the binding between the
    refresh token and client identity whenever the client identity can be
    authenticated."
    Accepted: 400 error=invalid_grant ("was issued to another client", RFC 6749 §5.2);
    tokens are a security failure.

    Given a client registered for the authorization code flow
    And a second client registered for the authorization code flow
    And the second client gets tokens for a code of its own
    And the client holds tokens from the authorization code flow
    And the client has refreshed its tokens
    When the second client refreshes with the client's refresh token
    Then the token request fails with "invalid_grant"

  @must @security @rfc6749-6 @rfc6749-4.1.3
  Scenario: A confidential client must authenticate to refresh
    RFC 6749 §6: "The authorization server MUST: o require client authentication for
    confidential clients or for any client that was issued client credentials"
    Accepted: 400 or 401 with error=invalid_client; tokens are a security failure.

    Given a confidential client registered for the authorization code flow
    And the client holds tokens from the authorization code flow
    And the client has refreshed its tokens
    When the client refreshes its tokens without authenticating
    Then the token request fails with "invalid_client"
