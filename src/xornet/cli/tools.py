"""``xornet playground`` and ``xornet cache``: the browser playground's server and the
compiled kernels kept on disk."""

from __future__ import annotations

import argparse
import json
from typing import Any

from xornet.cli.options import EXIT_OK, port
from xornet.cli.output import plural


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "playground",
        help="watch the network learn in the browser, live",
        description="Start a local web server with the playground page (the playground extra) "
        "and open it in the browser. Ctrl-C stops it.",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only; anything else is "
        "reachable from the network and prints a warning)",
    )
    p.add_argument("--port", type=port, default=8765, help="TCP port (default 8765; 0: any free)")
    p.add_argument("--no-browser", action="store_true", help="do not open the browser")
    p.set_defaults(run=playground)

    p = sub.add_parser(
        "cache",
        help="show or clear the compiled kernels kept on disk",
        description="The steps written out per network shape are compiled once and kept under "
        "$XORNET_CACHE_DIR if set, else $XDG_CACHE_HOME/xornet/kernels (by default ~/.cache). "
        "Show where, how many and how big; --clear deletes them (each is compiled again, "
        "in seconds, when next needed). The general compiled loops are numba's own cache, "
        "beside xornet's code (engines/__pycache__) or in $NUMBA_CACHE_DIR: not counted here.",
    )
    p.add_argument("--clear", action="store_true", help="delete every compiled kernel")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cache)


def playground(args: argparse.Namespace) -> int:
    from xornet.playground import serve

    serve(args.host, args.port, open_browser=not args.no_browser)  # Ctrl-C: main says so
    return EXIT_OK


def cache(args: argparse.Namespace) -> int:
    from xornet.cli.common import cache_is_used
    from xornet.engines._cache import cache_dir, cache_usage, clear_cache

    kernels, size = clear_cache() if args.clear else cache_usage()
    used = cache_is_used()
    if args.json:
        print(json.dumps({"path": str(cache_dir()), "kernels": kernels, "bytes": size,
                          "cleared": args.clear, "used": used}))  # fmt: skip
    elif args.clear:
        print(f"removed {plural(kernels, 'kernel')} ({size / 1e6:.1f} MB) from {cache_dir()}")
    else:
        print(f"{cache_dir()}: {plural(kernels, 'kernel')}, {size / 1e6:.1f} MB")
    return EXIT_OK
