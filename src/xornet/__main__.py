"""``python -m xornet``: the same as the ``xornet`` command."""

from xornet.cli import main

raise SystemExit(main())
