#!/usr/bin/env python3
"""Issue 13's two targets, measured against `oauthspec serve` (loopback only, bounded in time).

  flood   20,000 authorization requests in a few seconds (a 48 KB state each, or the largest
          state allowed spread over 20 clients), while the harness runs the authorization-code
          scenarios (honest logins) against the same server; the server's peak RSS (VmHWM).
  slow    2,000 sockets that send nothing or drip a request a byte a second, against a server
          whose open-files limit is 1024; how long a normal client's GET /healthz takes
          meanwhile (p50/p99 over 200 requests), and how long until every attacker socket is
          closed by the server.

usage: load/bench/hardening.py flood|slow   (after cargo build --release --bin oauthspec)
"""
import http.client, json, os, re, resource, socket, statistics, subprocess, sys, tempfile, threading, time
import urllib.parse

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
BIN = os.path.join(ROOT, "target", "release", "oauthspec")


def start_server(nofile=None):
    pre = None
    if nofile:
        pre = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    p = subprocess.Popen([BIN, "serve", "--in-memory", "--bind", "127.0.0.1:0"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, preexec_fn=pre)
    for line in p.stdout:
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if m:
            threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
            return p, int(m.group(1))
    raise SystemExit("the server did not start")


def vm(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) // 1024
    return -1


def register(port, n):
    clients = []
    for _ in range(n):
        c = http.client.HTTPConnection("127.0.0.1", port)
        body = json.dumps({"redirect_uris": ["http://127.0.0.1:8765/callback"], "token_endpoint_auth_method": "none",
                           "grant_types": ["authorization_code"], "response_types": ["code"], "scope": "profile"})
        c.request("POST", "/register", body, {"Content-Type": "application/json"})
        clients.append(json.loads(c.getresponse().read())["client_id"])
    return clients


def flood(port, clients, state, total, threads=16):
    outcomes = {}
    lock = threading.Lock()
    per = total // threads

    queries = {cid: urllib.parse.urlencode({
        "response_type": "code", "client_id": cid, "redirect_uri": "http://127.0.0.1:8765/callback",
        "scope": "profile", "state": state, "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256"}) for cid in clients}

    requests = {cid: f"GET /authorize?{q} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
                for cid, q in queries.items()}

    def read_answer(sock, buf):
        while (end := buf.find(b"\r\n\r\n")) < 0:
            buf += sock.recv(1 << 17)
        head = bytes(buf[:end])
        at = head.lower().find(b"content-length:")
        length = int(head[at + 15:head.find(b"\r\n", at)]) if at >= 0 else 0
        while len(buf) < end + 4 + length:
            buf += sock.recv(1 << 17)
        del buf[:end + 4 + length]
        return head

    def worker(i):
        # Raw sockets and requests built once: http.client spends more CPU
        # than the server on 48 KB URLs.
        sock = socket.create_connection(("127.0.0.1", port))
        buf = bytearray()
        for j in range(per):
            sock.sendall(requests[clients[(i * per + j) % len(clients)]])
            head = read_answer(sock, buf)
            at = head.lower().find(b"\r\nlocation: ")
            loc = head[at + 12:head.find(b"\r\n", at + 2)] if at >= 0 else b""
            if loc.startswith(b"/interaction/"):
                kind = "stored"
            elif (e := loc.find(b"error=")) >= 0:
                kind = re.match(rb"[a-z_]+", loc[e + 6:]).group(0).decode()
            else:
                kind = head.split()[1].decode()
            with lock:
                outcomes[kind] = outcomes.get(kind, 0) + 1

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    t0 = time.time()
    [t.start() for t in ts]
    return ts, t0, outcomes


def honest_logins(port):
    text = open(os.path.join(ROOT, "examples/targets/reference.toml")).read().replace(
        "http://127.0.0.1:8080", f"http://127.0.0.1:{port}")
    d = tempfile.mkdtemp()
    with open(os.path.join(d, "t.toml"), "w") as f:
        f.write(text)
    return subprocess.Popen([BIN, "check", "--target", os.path.join(d, "t.toml"), "--tags", "@authorization_code and not @serial",
                             "--report-dir", os.path.join(d, "r")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def honest_run(port):
    out, _ = honest_logins(port).communicate()
    last = [l for l in out.splitlines() if l.startswith(("PASS", "FAIL", "ERROR", "WARN"))][-1:]
    return re.sub(r" against .* in [0-9.]+ s", "", last[0]) if last else "no summary"


def run_flood():
    for label, state, nclients in [("48 KB state, 1 client", "s" * 48 * 1024, 1),
                                   ("4 KiB state (the most allowed), 20 clients", "s" * 4096, 20)]:
        server, port = start_server()
        clients = register(port, nclients)
        base = vm(server.pid, "VmRSS")
        ts, t0, outcomes = flood(port, clients, state, 20_000)
        # Honest logins again and again while the flood lasts, and once
        # more after it, when the pending logins are as full as it got.
        runs = []
        while any(t.is_alive() for t in ts):
            runs.append(honest_run(port))
        took = time.time() - t0
        runs.append(honest_run(port))
        print(f"{label}: 20,000 requests in {took:.1f} s, outcomes {outcomes}; server RSS {base} MB before, "
              f"peak {vm(server.pid, 'VmHWM')} MB; {len(runs)} runs of the honest logins during and after it: "
              f"{sorted(set(runs))}")
        server.kill()


def run_slow():
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
    server, port = start_server(nofile=1024)
    attackers = []
    for i in range(2000):
        s = socket.socket()
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            s.close()
            continue
        attackers.append(s)
    opened = time.time()
    drip = attackers[::2]
    stop = time.time() + 15

    def dripper():
        msg = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
        k = 0
        while time.time() < stop:
            for s in drip:
                try:
                    s.send(msg[k % len(msg):k % len(msg) + 1])
                except OSError:
                    pass
            k += 1
            time.sleep(1)

    threading.Thread(target=dripper, daemon=True).start()
    times = []
    for _ in range(200):
        t = time.time()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/healthz")
        c.getresponse().read()
        c.close()
        times.append((time.time() - t) * 1000)
        time.sleep(0.02)
    times.sort()
    open_socks = list(attackers)
    last_close = opened
    while open_socks and time.time() - opened < 40:
        still = []
        for s in open_socks:
            s.setblocking(False)
            try:
                data = s.recv(4096)
                if data == b"":
                    s.close()
                    last_close = time.time()
                    continue
                still.append(s)
            except BlockingIOError:
                still.append(s)
            except OSError:
                s.close()
                last_close = time.time()
        open_socks = still
        time.sleep(0.2)
    server_fds = len(os.listdir(f"/proc/{server.pid}/fd"))
    idle_left = len(set(map(id, open_socks)) - set(map(id, drip)))
    print(f"{len(attackers)} attacker sockets (half idle, half dripping) against a server with 1024 open files: "
          f"GET /healthz p50 {statistics.median(times):.1f} ms, p99 {times[int(len(times) * 0.99) - 1]:.1f} ms, "
          f"max {times[-1]:.1f} ms; the last attacker socket was closed by the server {last_close - opened:.1f} s after "
          f"all were opened; after 40 s {len(open_socks)} look open from the attacker's side ({idle_left} idle), "
          f"the server holds {server_fds} file descriptors in all; server peak RSS {vm(server.pid, 'VmHWM')} MB")
    server.kill()


if __name__ == "__main__":
    {"flood": run_flood, "slow": run_slow}[sys.argv[1] if len(sys.argv) > 1 else "flood"]()
