#!/usr/bin/env python3
"""A TCP proxy on loopback that delays every byte, to measure round trips.

scripts/bench's latency section puts one in front of each test server: tc
netem is not available here, and a proxy needs no privileges. Each chunk
read from one side is written to the other --delay-ms D milliseconds after
it was read, in order, so one request and its answer cost 2*D: a round trip
on a network whose one-way delay is D.

    delay_proxy.py --delay-ms 25 [--log FILE] [--no-handshake] SPEC...

SPEC is TARGET (a free listen port is picked) or LISTEN:TARGET, ports on
127.0.0.1. Once every listener is up it prints one `TARGET=LISTEN` line per
SPEC, then `READY`, and it runs until its standard input closes (as
examples/test_servers does), so a script that dies leaves nothing behind.

What it models, and what not:
- Every chunk, both ways, D ms late, order kept; a half-close (EOF) follows
  the data before it, D ms late too. An error on either side (reset,
  refused) resets both at once: a client whose target refuses sees its
  connection accepted, then reset.
- The TCP handshake: a connection costs one round trip before its first
  byte, as SYN / SYN-ACK do (unless --no-handshake). The client's connect()
  returns at once (the kernel accepts on the proxy's behalf), so the proxy
  dials the target 3*D after accepting: bytes the client sends at once reach
  the server at 3*D (2*D of handshake plus D), and a server that speaks
  first (SMTP's banner) is heard at 4*D, as on a real network. A client that
  computes for c ms before its first byte gains up to min(c, 2*D).
- Not modelled: bandwidth, loss, and TCP's own ACK clocking (Nagle, delayed
  ACKs, slow start): the kernel ACKs on loopback at once. The proxy's own
  sockets are TCP_NODELAY.

--log FILE appends one JSON line per closed connection (with --trace, also
each run of chunks one way: direction, chunks, bytes, ms after opening): the target, when it
was opened and closed (CLOCK_MONOTONIC seconds, Python's time.monotonic(),
so another process can place them on its own timeline), chunks and bytes
each way, and `exchanges`, the number of times the client sent something
and the server then answered (runs of chunks by the time they were read;
a server's greeting before any client byte counts as one). That is a
connection's application-level round trips, to attribute a run's wall time.
`late_ms_sum` and `late_ms_max` say how late past its due time each chunk
(and EOF) was written: the event loop's timer overshoot and any backlog on a
busy machine. The loop waits in select(), whose timeout is in microseconds:
epoll, asyncio's default, rounds every wait up to a whole millisecond, which
made every chunk about 1 ms late (a 52 ms round trip for 50). select() takes
descriptors below 1024 only: about 500 connections at once, far more than
the bench opens.

Only 127.0.0.1: it listens there and dials nothing else.
"""
import argparse
import asyncio
import json
import os
import selectors
import socket
import struct
import sys

HOST = "127.0.0.1"
CHUNK = 64 * 1024
QUEUE = 1024          # chunks in flight per direction before reading pauses


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--delay-ms", type=float, required=True, help="one-way delay (ms), each direction")
    p.add_argument("--log", help="append a JSON line per closed connection to this file")
    p.add_argument("--trace", action="store_true",
                   help="with --log: also each run of chunks one way (direction, chunks, bytes, ms after opening)")
    p.add_argument("--no-handshake", action="store_true",
                   help="do not charge a round trip for the TCP handshake")
    p.add_argument("specs", nargs="+", metavar="[LISTEN:]TARGET")
    a = p.parse_args()
    if a.delay_ms < 0:
        p.error("--delay-ms must be >= 0")
    a.pairs = []
    for spec in a.specs:
        listen, _, target = spec.rpartition(":")
        try:
            pair = (int(listen) if listen else 0, int(target))
        except ValueError:
            p.error(f"not [LISTEN:]TARGET: {spec!r}")
        if not all(0 <= port < 65536 for port in pair) or pair[1] == 0:
            p.error(f"port out of range: {spec!r}")
        a.pairs.append(pair)
    return a


class Proxy:
    def __init__(self, delay, handshake, log, trace):
        self.delay = delay                      # seconds
        self.handshake = handshake
        self.log = log
        self.trace = trace
        self.tasks = set()

    def record(self, conn):
        if self.log:
            self.log.write(json.dumps(conn) + "\n")
            self.log.flush()

    async def serve(self, target, client_r, client_w):
        loop = asyncio.get_running_loop()
        opened = loop.time()
        conn = {"target": target, "opened": round(opened, 4),
                "up_chunks": 0, "up_bytes": 0, "down_chunks": 0, "down_bytes": 0,
                "exchanges": 0, "late_ms_max": 0.0, "late_ms_sum": 0.0, "error": None}
        if self.trace:
            conn["turns"] = []                  # [direction, chunks, bytes, ms after opening]
        last = [None]                           # direction of the last chunk read
        up_q, down_q = asyncio.Queue(QUEUE), asyncio.Queue(QUEUE)
        server_w = None
        set_nodelay(client_w)

        def seen(direction, n):
            conn[f"{direction}_chunks"] += 1
            conn[f"{direction}_bytes"] += n
            if direction == "down" and last[0] != "down":
                conn["exchanges"] += 1          # an answer (or a greeting) after the client spoke
            if self.trace:
                if last[0] == direction:
                    conn["turns"][-1][1] += 1
                    conn["turns"][-1][2] += n
                else:
                    conn["turns"].append([direction, 1, n, round((loop.time() - opened) * 1000, 1)])
            last[0] = direction

        async def read(reader, queue, direction):
            while True:
                data = await reader.read(CHUNK)
                now = loop.time()
                if data:
                    seen(direction, len(data))
                await queue.put((now + self.delay, data))
                if not data:                    # EOF: queued after the data before it
                    return

        async def write(queue, writer):
            start = loop.time()                 # the upstream is open: held chunks are due now
            while True:
                due, data = await queue.get()
                due = max(due, start)
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                late = (loop.time() - due) * 1000    # the timer's overshoot, and any backlog
                conn["late_ms_sum"] += late
                conn["late_ms_max"] = max(conn["late_ms_max"], late)
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()

        up_reader = asyncio.ensure_future(read(client_r, up_q, "up"))
        tasks = [up_reader]
        try:
            if self.handshake and self.delay:
                # SYN, SYN-ACK, then the client's first bytes: see the module doc.
                await asyncio.sleep(3 * self.delay)
            server_r, server_w = await asyncio.open_connection(HOST, target)
            set_nodelay(server_w)
            tasks += [asyncio.ensure_future(write(up_q, server_w)),
                      asyncio.ensure_future(read(server_r, down_q, "down")),
                      asyncio.ensure_future(write(down_q, client_w))]
            # Done when both directions have delivered their EOF; the first
            # error (reset, refused, broken pipe) ends both at once.
            pending = set(tasks)
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
                for t in done:
                    if t.exception() is not None:
                        raise t.exception()
        except (OSError, asyncio.IncompleteReadError) as e:
            conn["error"] = f"{type(e).__name__}: {e}"
        except asyncio.CancelledError:
            conn["error"] = "open when the proxy stopped"
            raise
        finally:
            for t in tasks:
                t.cancel()
            for w in (client_w, server_w):
                if w is not None:
                    abort = conn["error"] is not None
                    try:
                        if abort:
                            # A reset (SO_LINGER 0), as the side that failed gave or,
                            # for a refused target, as the closest thing to "refused"
                            # once the kernel has accepted for us.
                            sock = w.get_extra_info("socket")
                            if sock is not None:
                                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                            w.transport.abort()
                        else:
                            w.close()
                    except Exception:
                        pass
            conn["closed"] = round(loop.time(), 4)
            conn["late_ms_sum"] = round(conn["late_ms_sum"], 3)
            conn["late_ms_max"] = round(conn["late_ms_max"], 3)
            self.record(conn)

    def handler(self, target):
        async def handle(reader, writer):
            task = asyncio.current_task()
            self.tasks.add(task)
            try:
                await self.serve(target, reader, writer)
            except asyncio.CancelledError:
                pass                            # stopping: recorded, both sides reset
            finally:
                self.tasks.discard(task)
        return handle


def set_nodelay(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


async def main():
    a = parse_args()
    log = open(a.log, "a", buffering=1) if a.log else None
    proxy = Proxy(a.delay_ms / 1000, not a.no_handshake, log, a.trace)
    loop = asyncio.get_running_loop()
    servers, lines = [], []
    for listen, target in a.pairs:
        server = await asyncio.start_server(proxy.handler(target), HOST, listen,
                                            reuse_address=True, backlog=512)
        servers.append(server)
        lines.append(f"{target}={server.sockets[0].getsockname()[1]}")
    print("\n".join(lines + ["READY"]), flush=True)

    # Until standard input closes (EOF or error): then stop listening and
    # end every connection still open.
    stdin_closed = loop.create_future()

    def on_stdin():
        try:
            data = os.read(0, 4096)
        except OSError:
            data = b""
        if not data and not stdin_closed.done():
            stdin_closed.set_result(None)
    try:
        loop.add_reader(0, on_stdin)
    except (OSError, ValueError, PermissionError):
        # stdin is a regular file or /dev/null: read it to its end in a thread.
        async def drain():
            await loop.run_in_executor(None, sys.stdin.buffer.read)
            stdin_closed.set_result(None)
        asyncio.ensure_future(drain())
    await stdin_closed
    for server in servers:
        server.close()
    for task in list(proxy.tasks):
        task.cancel()
    await asyncio.gather(*proxy.tasks, return_exceptions=True)
    if log:
        log.close()


if __name__ == "__main__":
    try:
        # select(), not epoll: see `late_ms_sum` in the module doc.
        with asyncio.Runner(loop_factory=lambda: asyncio.SelectorEventLoop(selectors.SelectSelector())) as runner:
            runner.run(main())
    except KeyboardInterrupt:
        pass
