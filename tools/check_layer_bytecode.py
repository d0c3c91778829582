"""Fail unless every module of a built layer has its bytecode for the functions' Python, 3.12, hash-based and
unchecked (layers/common/Makefile says why): a module without it is compiled again at every cold start."""

import importlib.util
import sys
from pathlib import Path

# CPython 3.12's bytecode: its magic number, then the flags (PEP 552), 0b01 for hash-based, unchecked.
MAGIC = importlib.util.MAGIC_NUMBER
UNCHECKED_HASH = 0b01


def problem(source: Path) -> str | None:
    compiled = source.parent / "__pycache__" / f"{source.stem}.cpython-312.pyc"
    if not compiled.exists():
        return "no bytecode"
    header = compiled.read_bytes()[:8]
    if header[:4] != MAGIC:
        return "bytecode of another Python"
    if int.from_bytes(header[4:8], "little") != UNCHECKED_HASH:
        return "bytecode checked against its source's time or hash"
    return None


def main(layer: str) -> int:
    if sys.version_info[:2] != (3, 12):
        print("run with Python 3.12, the functions' runtime, whose bytecode the layer must carry")
        return 1
    sources = sorted(Path(layer).rglob("*.py"))
    wrong = [(source, found) for source in sources if (found := problem(source)) is not None]
    for source, found in wrong[:20]:
        print(f"{found}: {source}")
    print(f"{len(sources) - len(wrong)} of {len(sources)} modules in {layer} carry unchecked 3.12 bytecode")
    return 1 if wrong or not sources else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
