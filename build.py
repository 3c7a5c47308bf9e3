"""Build every station's static site from content/ and publish the price books.

    python build.py                      # content/ → site/, then publish
    python build.py --no-publish         # build only
    python build.py --content demo/content --out /tmp/site

Exit status 1 on content errors, each printed as `file: field: expectation`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO / "functions"))

from kameng.sitegen import ContentError, build  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=REPO / "content", help="content folder (default: content/)")
    parser.add_argument("--out", type=Path, default=REPO / "site", help="output folder (default: site/)")
    parser.add_argument(
        "--templates", type=Path, default=REPO / "templates", help="themes folder (default: templates/)"
    )
    parser.add_argument("--no-publish", action="store_true", help="do not publish the price books to the store")
    args = parser.parse_args(argv)

    publish = None
    if not args.no_publish:
        # Imported before building, so a publisher that cannot load fails the
        # run before site/ changes; only publishing needs the store's wiring.
        from kameng.wiring import publish_price_books

        publish = publish_price_books
    try:
        report = build(args.content, args.out, args.templates, publish=publish)
    except ContentError as error:
        for message in error.messages:
            print(message, file=sys.stderr)
        print(f"{len(error.messages)} content error(s); {args.out} was left unchanged", file=sys.stderr)
        return 1
    if report.up_to_date:
        print(f"up to date: {len(report.stations)} stations, {report.seconds:.2f} s")
    else:
        print(
            f"built {len(report.stations)} stations, {report.pages} pages, "
            f"{report.files_written} files written in {report.seconds:.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
