"""The relay command `<call>n</call>` as the product reads it (DESIGN §1, src/core/tagScanner.ts)."""

from __future__ import annotations

import re

OPEN = "<call>"
CLOSE = "</call>"
# The product's parse: a decimal n between the tags, spaces allowed.
COMMAND = re.compile(r"<call>\s*(\d+)\s*</call>")
# What is removed from the teacher's input: every complete tag, well-formed or not.
ANY_TAG = re.compile(r"<call>[^<]{0,64}</call>")


def render(n: int) -> str:
    """The command text for n requested teacher tokens."""
    if n < 1:
        raise ValueError(f"a call asks for at least one token, not {n}")
    return f"{OPEN}{n}{CLOSE}"


def last_command(text: str) -> int | None:
    """n of the command that ends `text` (the student stopped at `</call>`), or None.

    n = 0 or a tag without a number is no call, as in the product.
    """
    match = None
    for match in COMMAND.finditer(text):
        pass
    if match is None or not text.rstrip().endswith(CLOSE) or match.end() != len(text.rstrip()):
        return None
    n = int(match.group(1))
    return n if n > 0 else None


def commands(text: str) -> list[int]:
    """Every well-formed command's n (n > 0), in order."""
    return [int(m.group(1)) for m in COMMAND.finditer(text) if int(m.group(1)) > 0]


def strip(text: str) -> str:
    """The stripped context the teacher sees: every command tag removed."""
    return ANY_TAG.sub("", text)


def clamp(n: int, max_span: int) -> int:
    """n clamped to [1, max_span], as the controller does."""
    return max(1, min(n, max_span))
