"""Shared fixtures: a dev-stack instance on free ports in a temporary directory."""
import os
import signal
import socket
import subprocess
import time

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("SEKISHO_BIN", os.path.join(ROOT, "build", "bin"))
CTL = os.path.join(BIN, "sekishoctl")


_GIVEN_PORTS = set()


def free_port(kind=socket.SOCK_STREAM):
    """A loopback port nothing listens on now, never one this run handed out before:
    the kernel may give a just-closed port to the next bind(0), and a stack asks for
    several before any of its servers binds (seen: both zones' lighttpd on one port)."""
    while True:
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if (kind, port) not in _GIVEN_PORTS:
            _GIVEN_PORTS.add((kind, port))
            return port


def ctl(instance, *args, check=True):
    return subprocess.run([CTL, "--instance", str(instance), *args],
                          capture_output=True, text=True, check=check, timeout=60)


def processes_under(path):
    """PIDs of processes whose command line mentions path (our instance)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if str(path).encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


class Stack:
    """The whole stack run by `sekishoctl run`, as `make run` runs it."""

    def __init__(self, instance, ports):
        self.instance = instance
        self.ports = ports
        self.internet = f"http://127.0.0.1:{ports['internet']}"
        self.lgwan = f"http://127.0.0.1:{ports['lgwan']}"
        self.proc = None
        self.log = open(instance.parent / "stack.log", "w+")

    def start(self):
        self.proc = subprocess.Popen([CTL, "--instance", str(self.instance), "run"],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def get(self, url, timeout=2):
        return requests.get(url, timeout=timeout)

    def wait_healthy(self, url, deadline_s=30, not_pid=None):
        end = time.monotonic() + deadline_s
        last = None
        while time.monotonic() < end:
            try:
                r = self.get(url)
                last = r.status_code
                if r.status_code == 200 and (not_pid is None or r.json()["pid"] != not_pid):
                    return r.json()
            except (requests.ConnectionError, requests.Timeout, ValueError) as e:
                last = e
            time.sleep(0.2)
        raise AssertionError(f"{url} not healthy after {deadline_s}s (last: {last})\n"
                             + self.output())

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self, sig=signal.SIGINT, timeout=30):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def kill_everything(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        for pid in processes_under(self.instance):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def instance(tmp_path):
    ports = {"internet": free_port(), "lgwan": free_port(),
             "uplink": free_port(socket.SOCK_DGRAM), "downlink": free_port(socket.SOCK_DGRAM)}
    inst = tmp_path / "inst"
    r = ctl(inst, "init", "--dev",
            "--internet-port", str(ports["internet"]), "--lgwan-port", str(ports["lgwan"]),
            "--uplink-port", str(ports["uplink"]), "--downlink-port", str(ports["downlink"]))
    return inst, ports, r.stdout


@pytest.fixture
def stack(instance):
    inst, ports, _ = instance
    s = Stack(inst, ports)
    s.start()
    yield s
    s.kill_everything()
