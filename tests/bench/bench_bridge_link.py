"""make bench-bridge: goodput of the real bridge daemons over a veth pair between two
network namespaces, at 0% and 5% loss (an nftables `numgen random` drop rule on the
receiving side stands in for netem, which this kernel lacks).

Prints, per case: bundle payload delivered and verified (MB/s and Gbit/s from tx's
start to the last bundle stored; "steady": from the first bundle stored to the
last), link overhead (bytes on the wire / payload), and CPU seconds per GB for tx
and rx."""
import os
import pathlib
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from bundles import application, spool_put  # noqa: E402
from veth_bridge import BIN, VethBridge, cpu_seconds  # noqa: E402


def run_case(tmp, size_mb, count, loss_pct, rate_mbit, datagram=1472, fec=None):
    inst = pathlib.Path(tmp) / f"b{size_mb}-{loss_pct}-{rate_mbit}-{datagram}-{fec}"
    subprocess.run([os.path.join(BIN, "sekishoctl"), "--instance", str(inst), "init", "--dev"],
                   check=True, capture_output=True)
    tx = dict(rate_mbit=rate_mbit, passes=1, resend_after_s=30)
    if fec:
        tx.update(fec_k=fec[0], fec_m=fec[1])
    with VethBridge(inst, tx=tx, rx=dict(memory_mb=512), loss_pct=loss_pct,
                    datagram=datagram) as b:
        bundles = {f"bench-{i:03d}": application(inst, f"bench-{i:03d}",
                                                 pdf=os.urandom(size_mb << 20))
                   for i in range(count)}
        payload = sum(len(d) for d in bundles.values())
        # The bundles wait in the outbox before tx starts, so that what is timed is
        # the bridge, not this script writing and fsyncing them (which, for 12 x 50
        # MB, was slower than the bridge and left it idle).
        for bid, data in bundles.items():
            spool_put(str(inst / "dmz/spool/outbox"), bid, data)
        cpu_rx0 = cpu_seconds(b.rx.pid)
        t0 = time.monotonic()
        b.start_tx()
        inbox = b.inbox()
        deadline = t0 + 120
        first = None
        while (n := len(os.listdir(inbox))) < count and time.monotonic() < deadline:
            if first is None and n > 0:
                first = time.monotonic()
            time.sleep(0.005)
        dt = time.monotonic() - t0
        # From the first bundle stored to the last: the link's steady rate, without
        # tx's start (exec, recovery, hashing the first bundle) and the first
        # bundle's own way through, which a run of 300 MB does not amortise.
        steady = ((count - 1) * (size_mb << 20) / (t0 + dt - first)
                  if first is not None and count > 1 and t0 + dt > first else 0)
        cpu = (cpu_seconds(b.tx.pid), cpu_seconds(b.rx.pid) - cpu_rx0)
        delivered = len(os.listdir(inbox))
        ok = all((inbox / n).read_bytes() == d for n, d in bundles.items() if (inbox / n).exists())
        wire = b.wire_bytes()
        m = b.rx_metrics()
    gb = payload / 1e9
    geometry = f"dgram {datagram} fec {fec[0] if fec else 64}+{fec[1] if fec else 16}"
    runs = m.get("receive_runs", 0)
    per_run = m.get("datagrams_received", 0) / runs if runs else 0
    print(f"{size_mb:>3} MB x {count:<3} loss {loss_pct:>2}% rate {rate_mbit or 'max':>4}  {geometry:<20}"
          f"  delivered {delivered}/{count}"
          f"{'' if ok else ' CORRUPT'}  goodput {payload / dt / 1e6:7.1f} MB/s"
          f" ({payload * 8 / dt / 1e9:5.2f} Gbit/s, steady {steady * 8 / 1e9:5.2f})"
          f"  wire/payload {wire / payload:5.2f}"
          f"  cpu s/GB tx {cpu[0] / gb:5.1f} rx {cpu[1] / gb:5.1f}"
          f"  fec repairs {m.get('assembly', {}).get('fec_repairs', '?')}"
          f"  drops ring {m.get('ring_drops', '?')} kernel {m.get('kernel_drops', '?')}"
          f"  datagrams/read {per_run:4.1f}")
    # A case leaves 1-2 GB of bundles behind (outbox, work, inbox): gone before the
    # next, which would otherwise run with the page cache ever fuller.
    shutil.rmtree(inst, ignore_errors=True)


def main():
    import tempfile
    if os.geteuid() != 0:
        print("bench-bridge needs root (network namespaces)")
        return 1
    # tx is rate-limited below what rx can take: on a one-way link nothing tells the
    # sender to slow down, and past rx's capacity its socket buffer overflows
    # (kernel drops, then resends). Since tx's bucket holds 2 ms of its rate (it
    # used to lose 15 % of the rate to late wake-ups), the rate set is the rate
    # sent: at 3000 Mbit/s both daemons sharing these two cores went without a drop
    # in every run; at 3500 in 21 of 22 runs of one case alone, but not in every
    # run of the whole benchmark. BENCH_RATE_MBIT="800,3500" chooses others.
    rates = tuple(int(r) for r in os.environ.get("BENCH_RATE_MBIT", "800,3000").split(","))
    with tempfile.TemporaryDirectory() as tmp:
        for rate in rates:
            # 12 x 50 MB: 600 MB, so that tx's start and the first bundle's way
            # through (~0.2 s) weigh less on the goodput.
            for size_mb, count in ((1, 50), (50, 12)):
                for loss in (0, 5):
                    run_case(tmp, size_mb, count, loss, rate)
        print("jumbo frames (MTU 9000) and a larger FEC block, 50 MB bundles:")
        for loss in (0, 5):
            run_case(tmp, 50, 12, loss, rates[-1], datagram=8972)
        run_case(tmp, 50, 12, 5, rates[-1], fec=(200, 30))
    return 0


if __name__ == "__main__":
    sys.exit(main())
