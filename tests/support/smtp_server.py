"""A loopback mail relay for kbz-check's SMTP tests, on Debian's aiosmtpd.

Run it with /usr/bin/python3 (Debian's python3-aiosmtpd belongs to it).

Modes:
  starttls  TLS only through STARTTLS, required before anything else; AUTH
            advertised and accepted only after it (a submission port, 587)
  implicit  TLS from the first byte (port 465 style); AUTH over it
  plain     no TLS at all, AUTH advertised in clear (a badly set up relay)

It binds 127.0.0.1 on a port the OS picks, prints "READY <port>" on stdout,
and writes every message it accepts to MAILDIR as <queue id>.eml, so a test
can count what was really received. It runs until killed.
"""

import argparse
import asyncio
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

# A fixed name: the default (socket.getfqdn()) may query DNS.
HOSTNAME = "mail.kbz-test.localdomain"


class Recorder:
    """Accepts every message and files it, answering like Postfix does."""

    def __init__(self, maildir):
        self.maildir = maildir
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        queue_id = f"KBZ{os.getpid()}N{self.received:04d}"
        path = os.path.join(self.maildir, f"{queue_id}.eml")
        envelope_lines = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {','.join(envelope.rcpt_tos)}\r\n"
        # Written under a temporary name, then renamed: a reader never sees half a message.
        with open(path + ".tmp", "wb") as out:
            out.write(envelope_lines.encode())
            out.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        return f"250 2.0.0 Ok: queued as {queue_id}"


def authenticator(user, password):
    """Accepts exactly one user name and password, by PLAIN or LOGIN."""

    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        # handled=False: aiosmtpd then answers a failure with its 535 itself.
        return AuthResult(success=ok, handled=False)

    return check


def tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def serve(args):
    recorder = Recorder(args.maildir)
    context = tls_context(args.cert, args.key) if args.mode != "plain" else None

    def session():
        return SMTP(
            recorder,
            hostname=HOSTNAME,
            tls_context=context if args.mode == "starttls" else None,
            require_starttls=args.mode == "starttls",
            authenticator=authenticator(args.user, args.password),
            # Implicit TLS is invisible to aiosmtpd, which would then hide AUTH.
            auth_require_tls=args.mode == "starttls",
            # --no-plain leaves LOGIN only, to exercise its challenges.
            auth_exclude_mechanism=["PLAIN"] if args.no_plain else None,
        )

    server = await asyncio.get_running_loop().create_server(
        session, host="127.0.0.1", port=0, ssl=context if args.mode == "implicit" else None
    )
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    async with server:
        await server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["starttls", "implicit", "plain"], required=True)
    parser.add_argument("--cert", help="server certificate (PEM), for starttls and implicit")
    parser.add_argument("--key", help="its private key (PEM)")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--no-plain", action="store_true", help="offer AUTH LOGIN only")
    args = parser.parse_args()
    if args.mode != "plain" and not (args.cert and args.key):
        parser.error("--cert and --key are required with TLS")
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
