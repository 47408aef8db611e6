"""A vendor 50 ms away: an asyncio HTTP/1.1 server that answers after a delay.

``python bench/latency_server.py --delay 0.05`` listens on a free port of
127.0.0.1, prints ``PORT <n>`` on stdout once it accepts connections, and
answers every request (any path, any method, keep-alive, many connections at
once) with 200 (GET/HEAD) or 204 after ``--delay`` seconds. It stops on
SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import sys

_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
_NO_CONTENT = b"HTTP/1.1 204 No Content\r\n\r\n"


async def _serve(delay: float, port: int) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                match = _LENGTH.search(head)
                if match:
                    await reader.readexactly(int(match.group(1)))
                if delay > 0:
                    await asyncio.sleep(delay)
                get = head.startswith((b"GET ", b"HEAD "))
                writer.write(_OK if get else _NO_CONTENT)
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        except asyncio.CancelledError:  # shutting down
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sys.stdout.write(f"PORT {server.sockets[0].getsockname()[1]}\n")
    sys.stdout.flush()
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.05, help="seconds before each answer")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(_serve(args.delay, args.port))


if __name__ == "__main__":
    main()
