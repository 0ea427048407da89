#!/usr/bin/python3
"""bench_portal.py — durable submissions per second through the internet-zone lighttpd.

Runs the real dev stack in a temporary instance (sekishoctl init --dev; run), publishes
the 20-field bench procedure over the downlink, then drives wrk for BENCH_SECONDS (30 by
default) in two cases:

  form-only        a 20-field application, no attachment
  with-attachment  the same with one 1 MB attachment (a PNG the sanitizer has passed:
                   its upload and sanitizing are measured separately below)

and finally 1 MB uploads/s (streamed to the intake spool, not waiting for the verdict).
Every submission is a new application (its own Idempotency-Key) acknowledged only
after its commit; wrk shares the 2 cores with the stack. Prints figures and the ratio
to the issue's target (>= 1000/s, p99 <= 50 ms, zero errors).
"""
import json
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CTL = os.path.join(ROOT, "build", "bin", "sekishoctl")
SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
TARGET_RATE, TARGET_P99_MS = 1000.0, 50.0
THREADS = int(os.environ.get("BENCH_PORTAL_THREADS", "0"))	# 0: as provisioned (32)


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def png_of_size(nbytes):
    """A noisy RGB PNG of about nbytes (noise does not compress)."""
    side = int((nbytes / 3) ** 0.5)
    raw = b"".join(b"\0" + os.urandom(side * 3) for _ in range(side))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))


def wrk(url, script, env=None, threads=2, conns=8):
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{SECONDS}s",
                          "--timeout", "5s", "-s", script, url],
                         capture_output=True, text=True, env=dict(os.environ, **(env or {})))
    m = re.search(r"RESULT (.*)", out.stdout)
    if not m:
        sys.exit(f"wrk failed:\n{out.stdout}\n{out.stderr}")
    r = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    r["rate"] = r["requests"] / (r["duration_us"] / 1e6)
    r["errors"] = sum(v for k, v in r.items() if k.startswith("errors_"))
    return r


def report(name, r, target=True):
    p50, p99 = r["p50_us"] / 1000, r["p99_us"] / 1000
    line = (f"{name:16s} {r['rate']:8.0f} /s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   "
            f"errors {r['errors']}   ({r['requests']} in {r['duration_us'] / 1e6:.1f} s)")
    if target:
        line += (f"   target ratio {r['rate'] / TARGET_RATE:.2f}x rate, "
                 f"{TARGET_P99_MS / p99 if p99 else 0:.2f}x p99")
    print(line, flush=True)


def main():
    tmp = tempfile.mkdtemp(prefix="sekisho-bench-portal.")
    inst = os.path.join(tmp, "inst")
    port = free_port()
    subprocess.run([CTL, "init", "--dev", "--internet-port", str(port), "--lgwan-port",
                    str(free_port()), "--uplink-port", str(free_port(socket.SOCK_DGRAM)),
                    "--downlink-port", str(free_port(socket.SOCK_DGRAM)), inst],
                   check=True, capture_output=True)
    if THREADS:
        conf = os.path.join(inst, "etc", "portald.conf")
        with open(conf) as f:
            text = f.read()
        with open(conf, "w") as f:
            f.write(re.sub(r"(?m)^http_threads = .*$", f"http_threads = {THREADS}", text))
    subprocess.run([CTL, "--instance", inst, "catalogue", "publish", "demo",
                    os.path.join(ROOT, "tests", "bench", "portal", "bench-20.json")],
                   check=True, capture_output=True)
    log = open(os.path.join(tmp, "stack.log"), "w")
    stack = subprocess.Popen([CTL, "--instance", inst, "run"], stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    api = base + "/api/v1/demo"
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                if requests.get(api + "/procedures/bench-20", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.3)
        else:
            sys.exit("bench: the bench procedure did not arrive")
        url = api + "/procedures/bench-20/applications"
        script = os.path.join(ROOT, "tests", "bench", "portal", "submit.lua")
        print(f"portal: wrk -t2 -d{SECONDS}s against lighttpd -> portald on loopback, the whole "
              f"all-in-one stack running, {os.cpu_count()} cores shared", flush=True)

        if os.environ.get("BENCH_PORTAL_NICE"):
            for name in ("sekisho-sanitized", "sekisho-officed", "sekisho-bridge-tx", "sekisho-bridge-rx"):
                for pid in subprocess.run(["pgrep", "-f", f"{name} --config {inst}"], capture_output=True, text=True).stdout.split():
                    subprocess.run(["renice", "-n", "10", "-p", pid], capture_output=True)
        if os.environ.get("BENCH_PORTAL_ISOLATE"):
            # Diagnostic: only the portal path (sanitizer and LGWAN side paused).
            for name in ("sekisho-sanitized", "sekisho-officed", "sekisho-bridge-tx", "sekisho-bridge-rx"):
                subprocess.run(["pkill", "-STOP", "-f", f"{name} --config {inst}"])
        form = wrk(url, script, conns=8)
        report("form-only c8", form)
        heavy = wrk(url, script, conns=32)
        report("form-only c32", heavy)
        if os.environ.get("BENCH_PORTAL_ISOLATE"):
            for name in ("sekisho-sanitized", "sekisho-officed", "sekisho-bridge-tx", "sekisho-bridge-rx"):
                subprocess.run(["pkill", "-CONT", "-f", f"{name} --config {inst}"])

        photo = png_of_size(1024 * 1024)
        t0 = time.monotonic()
        up = requests.post(api + "/uploads", params={"procedure": "bench-20", "field": "attachment"},
                           files={"file": ("photo.png", photo)}, timeout=30).json()
        while True:
            v = requests.get(f"{api}/uploads/{up['upload_id']}", timeout=10).json()
            if v["state"] != "pending":
                break
            time.sleep(0.05)
        print(f"one 1 MB PNG upload: {len(photo)} bytes, sanitized in "
              f"{time.monotonic() - t0:.2f} s, verdict {v['state']}", flush=True)
        att = wrk(url, script, env={"ATTACHMENT": up["upload_id"]}, conns=8)
        report("with-attach c8", att)

        # 1 MB uploads streamed to the intake spool (the sanitizer then works through them).
        body_path = os.path.join(tmp, "upload.lua")
        with open(body_path, "w") as f:
            f.write(UPLOAD_LUA.replace("@FILE@", os.path.join(tmp, "photo.png")))
        with open(os.path.join(tmp, "photo.png"), "wb") as f:
            f.write(photo)
        saved = SECONDS
        globals()["SECONDS"] = min(10, saved)
        ups = wrk(api + "/uploads?procedure=bench-20&field=attachment", body_path, conns=8)
        globals()["SECONDS"] = saved
        report("1MB-uploads", ups, target=False)
        mbps = ups["rate"] * len(photo) * 8 / 1e6
        print(f"uploads: {mbps:.0f} Mbit/s into the intake spool", flush=True)
        m = requests.get(base + "/api/metrics", timeout=5).json()
        gc = m["group_commit"]["demo"]
        print(f"group commit: {gc['jobs']} submissions in {gc['batches']} transactions "
              f"({gc['jobs'] / max(gc['batches'], 1):.1f} per fsync)")
        ok = form["rate"] >= TARGET_RATE and form["p99_us"] / 1000 <= TARGET_P99_MS and form["errors"] == 0
        print(f"bench-portal: form-only target (8 connections) {'met' if ok else 'NOT met'}")
    finally:
        os.killpg(stack.pid, 15)
        stack.wait(timeout=30)


UPLOAD_LUA = r'''
local f = io.open("@FILE@", "rb")
local data = f:read("*a")
f:close()
local boundary = "sekishobench7d1f"
local body = "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.png\"\r\n" ..
  "Content-Type: image/png\r\n\r\n" .. data .. "\r\n--" .. boundary .. "--\r\n"
function request()
  return wrk.format("POST", nil, {["Content-Type"] = "multipart/form-data; boundary=" .. boundary}, body)
end
function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d " ..
    "errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
end
'''

if __name__ == "__main__":
    main()
