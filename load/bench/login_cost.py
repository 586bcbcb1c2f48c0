#!/usr/bin/env python3
"""What one login costs with each strategy, against `oauthspec serve` on loopback.

  command   examples/login-commands/form-login.py, run as the harness runs it
            (a new process per login), 30 logins one after the other
  form      the whole @authorization_code area with strategy = form and with
            strategy = command (the harness's own walker vs the program),
            wall time of `oauthspec check` for each

usage: load/bench/login_cost.py   (after cargo build --release --bin oauthspec)
"""
import http.client, json, os, re, statistics, subprocess, sys, tempfile, time, urllib.parse

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BIN = os.path.join(ROOT, "target", "release", "oauthspec")
SCRIPT = os.path.join(ROOT, "examples", "login-commands", "form-login.py")
REDIRECT = "http://127.0.0.1:8765/callback"


def start_server():
    p = subprocess.Popen([BIN, "serve", "--in-memory", "--bind", "127.0.0.1:0"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if m:
            return p, int(m.group(1))
    raise SystemExit("the server did not start")


def main():
    server, port = start_server()
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("POST", "/register", json.dumps({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none",
                                               "scope": "profile"}), {"Content-Type": "application/json"})
    client = json.loads(c.getresponse().read())["client_id"]
    env = dict(os.environ, OAUTHSPEC_REDIRECT_URI=REDIRECT, OAUTHSPEC_CONSENT="approve",
               OAUTHSPEC_USERNAME="alice", OAUTHSPEC_PASSWORD="alice-password")
    times = []
    for i in range(30):
        url = f"http://127.0.0.1:{port}/authorize?" + urllib.parse.urlencode({
            "response_type": "code", "client_id": client, "redirect_uri": REDIRECT, "scope": "profile",
            "state": f"s{i}", "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256"})
        t = time.time()
        out = subprocess.run(["python3", SCRIPT, url], env=env, capture_output=True, text=True, check=True).stdout
        times.append((time.time() - t) * 1000)
        assert "code=" in out.strip().splitlines()[-1], out
    times.sort()
    print(f"command strategy (form-login.py), 30 logins: p50 {statistics.median(times):.0f} ms, "
          f"max {times[-1]:.0f} ms per login (process start, 4 requests, the server's argon2 check)")

    profile = open(os.path.join(ROOT, "examples/targets/reference.toml")).read().replace(
        "http://127.0.0.1:8080", f"http://127.0.0.1:{port}")
    d = tempfile.mkdtemp()
    for name, text in [("form", profile), ("command", profile.replace(
            "[login]\n", f"[login]\nstrategy = \"command\"\ncommand = [\"python3\", {json.dumps(SCRIPT)}]\n"))]:
        path = os.path.join(d, f"{name}.toml")
        open(path, "w").write(text)
        t = time.time()
        out = subprocess.run([BIN, "check", "--target", path, "--tags", "@authorization_code",
                              "--report-dir", os.path.join(d, name)], capture_output=True, text=True).stdout
        took = time.time() - t
        summary = [l for l in out.splitlines() if l.startswith(("PASS", "FAIL", "ERROR"))]
        print(f"strategy = {name}: @authorization_code in {took:.1f} s ({summary[-1] if summary else out[-300:]})")
    server.kill()


if __name__ == "__main__":
    main()
