"""``make bench``: run every benchmark module in bench/ (or those named), print tables, write results.

Usage: bench/run.py [--quick] [name ...]
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.support import print_table, write_result  # noqa: E402

SKIP = {"run", "support", "__init__"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmark module names (default: all)")
    parser.add_argument("--quick", action="store_true", help="shorter runs, for checking that they work")
    args = parser.parse_args()
    names = args.names or sorted(p.stem for p in HERE.glob("*.py") if p.stem not in SKIP)
    failed = 0
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}: {module.__doc__.strip().splitlines()[0] if module.__doc__ else ''}", flush=True)
        try:
            result = module.run(quick=args.quick)
        except Exception as exc:  # noqa: BLE001 - one failing benchmark must not hide the others.
            print(f"!! {name} failed: {type(exc).__name__}: {exc}")
            failed += 1
            continue
        print_table(result["title"], result["columns"], result["rows"])
        for key, value in result.get("extra", {}).items():
            print(f"  {key}: {value}")
        print(f"  -> {write_result(name, result).relative_to(HERE.parent)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
