"""``spikedesk [PATH ...]`` / ``python -m app [PATH ...]``."""

from __future__ import annotations

import argparse
import sys

from .model.demo import make_demo_dataset


def main(argv: list[str] | None = None) -> int:
    """Entry point. Until the main window lands, prints what would be opened."""
    parser = argparse.ArgumentParser(prog="spikedesk", description=__doc__)
    parser.add_argument("paths", nargs="*", help="recordings, sortings or folders to open")
    args = parser.parse_args(argv)
    if args.paths:
        import core as si

        for path in args.paths:
            print(f"{path}: {si.load_extractor(path)}")
    else:
        print(make_demo_dataset().summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
