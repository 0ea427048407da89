#!/usr/bin/python3
"""smtp_capture.py — a real SMTP server on loopback for tests, over Debian's aiosmtpd.

Listens on 127.0.0.1 on a free port and prints that port as the first line on stdout.
Every accepted message becomes one JSON file in --dir, written to a dot-file, fsync'd
and renamed, so a reader never sees half a message:

    {"helo": "...", "mail_from": "...", "rcpt_tos": ["..."],
     "data": "<the message as received>"}

Recipients whose local part contains --tempfail are refused with 451 (try again
later), those containing --reject with 550 (never); a recipient containing --slow
first creates DIR/.slow-rcpt and then holds the reply for --slow-seconds, so a test
can act while a client is mid-transaction. With --auth-user the server requires
AUTH (PLAIN or LOGIN, allowed without TLS on loopback) with --auth-password.

Runs until killed (SIGTERM).
"""
import argparse
import asyncio
import json
import logging
import os
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Capture:
    def __init__(self, args):
        self.args = args
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.rsplit("@", 1)[0].lower()
        if self.args.tempfail and self.args.tempfail in local:
            return "451 4.3.0 Temporary failure, try again later"
        if self.args.reject and self.args.reject in local:
            return "550 5.1.1 No such user here"
        if self.args.slow and self.args.slow in local:
            marker = os.path.join(self.args.dir, ".slow-rcpt")
            with open(marker, "w"):
                pass
            await asyncio.sleep(self.args.slow_seconds)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = "%06d-%d.json" % (self.count, os.getpid())
        tmp = os.path.join(self.args.dir, "." + name)
        doc = {
            "helo": session.host_name,
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            # latin-1 keeps every byte as one code point: a test can see 8-bit bytes.
            "data": envelope.original_content.decode("latin-1"),
        }
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(self.args.dir, name))
        return "250 2.0.0 Message accepted"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--tempfail", default="tempfail")
    ap.add_argument("--reject", default="reject")
    ap.add_argument("--slow", default="slow")
    ap.add_argument("--slow-seconds", type=float, default=2.0)
    ap.add_argument("--auth-user")
    ap.add_argument("--auth-password")
    args = ap.parse_args()
    # AUTH without TLS is the point on loopback; keep the test output for failures.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == args.auth_user
              and auth_data.password.decode() == args.auth_password)
        # handled=False: let aiosmtpd send the 535 itself.
        return AuthResult(success=ok, handled=False)

    handler = Capture(args)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def factory():
        kw = {"hostname": "capture.test", "loop": loop}
        if args.auth_user:
            kw.update(authenticator=authenticator, auth_required=True,
                      auth_require_tls=False)
        return SMTP(handler, **kw)

    server = loop.run_until_complete(loop.create_server(factory, "127.0.0.1", 0))
    print(server.sockets[0].getsockname()[1], flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    sys.exit(main())
