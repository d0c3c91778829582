"""Fail unless every compiled module in a built layer is for aarch64 (the functions run on arm64). The layer
has none since pydantic (pydantic_core) left it; one a new dependency brings must be aarch64's."""

import struct
import sys
from pathlib import Path

AARCH64 = 0xB7  # ELF e_machine


def machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    if header[:4] != b"\x7fELF":
        raise ValueError(f"{path} is not an ELF file")
    byte_order = "<" if header[5] == 1 else ">"
    return int(struct.unpack(byte_order + "H", header[18:20])[0])


def main(layer: str) -> int:
    compiled = sorted(Path(layer).rglob("*.so"))
    if not Path(layer).is_dir():
        print(f"no layer at {layer}")
        return 1
    wrong = [path for path in compiled if machine(path) != AARCH64]
    for path in wrong:
        print(f"not aarch64: {path}")
    print(f"{len(compiled) - len(wrong)} of {len(compiled)} compiled modules in {layer} are aarch64")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
