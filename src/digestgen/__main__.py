"""Allow ``python -m digestgen``."""

from __future__ import annotations

from digestgen.cli import main

raise SystemExit(main())
