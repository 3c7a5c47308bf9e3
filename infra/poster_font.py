"""Make the posters' font: Noto Sans CJK SC Bold cut down to what a shop's name, a product title and a
price are written in, small enough to ship inside every function (≤ 4 MB).

    apt-get install -y fonts-noto-cjk
    .venv/bin/python infra/poster_font.py            # writes templates/default/fonts/poster-sc-bold.otf

The subset keeps ASCII, ¥ and the other Latin-1 signs, CJK punctuation, full-width forms and the 6,763
hanzi of GB2312. A character outside it is left out of a poster, never an error (services/posters.py).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

REPO = Path(__file__).resolve().parents[1]
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
TARGET = REPO / "templates" / "default" / "fonts" / "poster-sc-bold.otf"
FACE = "Noto Sans CJK SC Bold"
LIMIT = 4 * 1024 * 1024


def gb2312_hanzi() -> list[str]:
    # Rows 0xB0–0xF7 of GB2312 are its two levels of hanzi; the last row has fewer than 94.
    found = []
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                found.append(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return found


def characters() -> set[int]:
    ranges = (range(0x20, 0x7F), range(0xA0, 0x100), range(0x2010, 0x2027), range(0x3000, 0x3040),
              range(0xFF00, 0xFFF0))
    return {code for block in ranges for code in block} | {ord(c) for c in gb2312_hanzi()}


def sc_face(collection: TTCollection):
    for font in collection.fonts:
        if font["name"].getDebugName(4) == FACE:
            return font
    raise SystemExit(f"{FACE} is not in the collection")


def make(source: Path = SOURCE, target: Path = TARGET) -> int:
    font = sc_face(TTCollection(str(source)))
    options = subset.Options()
    options.layout_features = ["kern", "palt", "vert", "locl"]
    options.name_IDs = ["*"]  # the licence and the font's names stay with it
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters())
    subsetter.subset(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(target))
    size = target.stat().st_size
    if size > LIMIT:
        raise SystemExit(f"{target} is {size} bytes, more than {LIMIT}")
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="the Noto Sans CJK Bold .ttc")
    parser.add_argument("--target", type=Path, default=TARGET)
    args = parser.parse_args()
    print(f"{args.target}: {make(args.source, args.target)} bytes")


if __name__ == "__main__":
    main()
