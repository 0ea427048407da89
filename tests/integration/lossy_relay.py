"""A userspace stand-in for `tc netem` on a one-way UDP link.

The kernel here has no sch_netem, so link impairments are made by this relay between
bridge-tx and bridge-rx: random loss, loss bursts (Gilbert-Elliott: a good and a bad
state), reordering (a held datagram is released after the next few) and duplication.
Seeded, so a failing run can be replayed. Runs in a thread; only loopback addresses."""
import random
import socket
import threading


class LossyRelay(threading.Thread):
    def __init__(self, listen_port, forward_port, loss=0.0, burst_enter=0.0, burst_exit=0.3,
                 burst_loss=0.9, reorder=0.0, duplicate=0.0, seed=1):
        super().__init__(daemon=True)
        self.rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.rx.bind(("127.0.0.1", listen_port))
        self.rx.settimeout(0.2)
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.dest = ("127.0.0.1", forward_port)
        self.loss, self.reorder, self.duplicate = loss, reorder, duplicate
        self.burst_enter, self.burst_exit, self.burst_loss = burst_enter, burst_exit, burst_loss
        self.rng = random.Random(seed)
        self.bad = False
        self.stopping = threading.Event()
        self.counts = {"in": 0, "dropped": 0, "duplicated": 0, "reordered": 0, "out": 0}

    def _drop(self):
        if self.burst_enter:
            if self.bad and self.rng.random() < self.burst_exit:
                self.bad = False
            elif not self.bad and self.rng.random() < self.burst_enter:
                self.bad = True
            if self.bad and self.rng.random() < self.burst_loss:
                return True
        return self.rng.random() < self.loss

    def _send(self, d):
        self.tx.sendto(d, self.dest)
        self.counts["out"] += 1

    def run(self):
        held = []
        while not self.stopping.is_set():
            try:
                d = self.rx.recv(65535)
            except socket.timeout:
                for h, _ in held:
                    self._send(h)
                held = []
                continue
            self.counts["in"] += 1
            if self._drop():
                self.counts["dropped"] += 1
                continue
            if self.rng.random() < self.reorder:
                held.append((d, self.rng.randint(1, 8)))
                self.counts["reordered"] += 1
                continue
            self._send(d)
            if self.rng.random() < self.duplicate:
                self._send(d)
                self.counts["duplicated"] += 1
            still = []
            for h, n in held:
                if n <= 1:
                    self._send(h)
                else:
                    still.append((h, n - 1))
            held = still

    def stop(self):
        self.stopping.set()
        self.join(timeout=2)
        self.rx.close()
        self.tx.close()
