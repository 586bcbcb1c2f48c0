#!/usr/bin/env python3
"""A login command for `[login] strategy = "command"` (see README, "Logging in").

It logs in through plain HTML login and consent forms with nothing but the
Python standard library, and follows the contract of the harness:

- input: the authorization URL as the last argument; OAUTHSPEC_REDIRECT_URI,
  OAUTHSPEC_CONSENT (approve, deny, or a button label), OAUTHSPEC_USERNAME and
  OAUTHSPEC_PASSWORD in the environment;
- it never contacts the redirect URI: it stops at the redirect to it;
- exit 0, last line of stdout: the URL the browser was sent to last (the
  redirect URI with the response, or the page where the server stopped);
- exit 1 with a reason on stderr when it cannot do what was asked.

Copy it and change what your server needs: a JSON login call, a second
factor, a different consent page. The harness judges only the URL printed.
"""
import html.parser
import http.cookiejar
import os
import sys
import urllib.error
import urllib.parse
import urllib.request


class Forms(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "method": (a.get("method") or "GET").upper(),
                               "inputs": [], "buttons": []})
        elif self.forms and tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind == "submit":
                self.forms[-1]["buttons"].append((a.get("name"), a.get("value") or ""))
            else:
                self.forms[-1]["inputs"].append((kind, a.get("name"), a.get("value") or ""))
        elif self.forms and tag == "button":
            self.forms[-1]["buttons"].append((a.get("name"), a.get("value") or ""))


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fail(reason):
    print(reason, file=sys.stderr)
    sys.exit(1)


def at_redirect_uri(url, redirect_uri):
    u, r = urllib.parse.urlsplit(url), urllib.parse.urlsplit(redirect_uri)
    return (u.scheme, u.netloc, u.path) == (r.scheme, r.netloc, r.path)


def choose(buttons, consent):
    words = {"approve": ("approve", "allow", "accept", "yes", "authorize", "consent", "continue"),
             "deny": ("deny", "reject", "cancel", "no", "abort", "decline")}.get(consent)
    for name, value in buttons:
        text = f"{name or ''} {value}".lower()
        if (words and any(w in text for w in words)) or (not words and value == consent):
            return name, value
    return None


def main():
    url = sys.argv[-1]
    redirect_uri = os.environ["OAUTHSPEC_REDIRECT_URI"]
    consent = os.environ.get("OAUTHSPEC_CONSENT", "approve")
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirects)
    method, data, logged_in = "GET", None, False
    for _ in range(12):
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            response = opener.open(request, timeout=10)
        except urllib.error.HTTPError as e:
            response = e
        status, body = response.status, response.read().decode("utf-8", "replace")
        if 300 <= status < 400:
            url = urllib.parse.urljoin(url, response.headers.get("Location", ""))
            if at_redirect_uri(url, redirect_uri):
                print(url)
                return
            method, data = "GET", None
            continue
        parser = Forms()
        parser.feed(body)
        if status >= 400 or not parser.forms:
            print(url)  # the server stopped here: its error page
            return
        form = parser.forms[0]
        fields = [(n, v) for kind, n, v in form["inputs"] if n and kind != "password"]
        if any(kind == "password" for kind, _, _ in form["inputs"]):
            if logged_in:
                fail("the login form came back: the credentials were refused")
            logged_in = True
            password = next(n for kind, n, _ in form["inputs"] if kind == "password")
            user = next((n for kind, n, _ in form["inputs"] if kind in ("text", "email") and n), "username")
            fields = [(n, v) for n, v in fields if n != user]
            fields += [(user, os.environ.get("OAUTHSPEC_USERNAME", "")),
                       (password, os.environ.get("OAUTHSPEC_PASSWORD", ""))]
            button = choose(form["buttons"], "approve") or (form["buttons"][:1] or [None])[0]
        else:
            button = choose(form["buttons"], consent)
            if button is None:
                fail(f"no button for {consent!r} on the page at {url}")
        if button and button[0]:
            fields.append(button)
        target = urllib.parse.urljoin(url, form["action"] or url)
        encoded = urllib.parse.urlencode(fields)
        if form["method"] == "POST":
            url, method, data = target, "POST", encoded.encode()
        else:
            url, method, data = f"{target.split('?')[0]}?{encoded}", "GET", None
    fail("more than 12 steps without reaching the client")


if __name__ == "__main__":
    main()
