"""The relay command `<call>n</call>`, read exactly as the product reads it.

This is a port of the product's scanner (src/core/tagScanner.ts; docs/architecture.md, "The relay
protocol") for whole texts: the same events for every text, including the corners (n = 0, a
missing or non-decimal n, unclosed and stray tags, a second opener, the 64-character limit on a
tag's content, a fragment of a tag at the end). Both are checked against one table of cases,
test/fixtures/tag-cases.json (python/tests/train/test_tags.py and test/unit/tagScanner.test.ts).

To match JavaScript exactly, lengths and positions are counted in UTF-16 code units (an emoji is
two), `\\s` is JavaScript's whitespace and digits are ASCII only.
"""

from __future__ import annotations

import re
import sys
from typing import Any

OPEN = "<call>"
CLOSE = "</call>"
# Content longer than this between `<call>` and `</call>` cannot be a command.
MAX_TAG_CONTENT = 64

# JavaScript's `\s` (ECMAScript WhiteSpace and LineTerminator), not Python's.
_WS = "[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
_VALID_CONTENT = re.compile(f"{_WS}*([0-9]+){_WS}*\\Z")
# What an unfinished command looks like: digits, spaces, and the start of `</call>`.
_TAG_MATERIAL = re.compile(f"{_WS}*[0-9]*{_WS}*(<(/(c(a(l(l)?)?)?)?)?)?\\Z")

Event = dict[str, Any]


_UTF16 = "utf-16-le" if sys.byteorder == "little" else "utf-16-be"


def _units(text: str) -> str:
    """`text` with one character per UTF-16 code unit (surrogates kept apart), as JavaScript indexes it."""
    if text.isascii():
        return text
    return "".join(map(chr, memoryview(text.encode(_UTF16, "surrogatepass")).cast("H")))


def _text(units: str) -> str:
    """Back from code units to text (surrogate pairs joined)."""
    return units if units.isascii() else units.encode(_UTF16, "surrogatepass").decode(_UTF16, "surrogatepass")


def _number(digits: str) -> int | float:
    """JavaScript's Number(digits): exact up to 2^53, the nearest double beyond."""
    n = int(digits)
    return n if n <= 2**53 else float(digits)


class _Scanner:
    """TagScanner.push(text) then end(), over UTF-16 code units."""

    def __init__(self, max_span: int) -> None:
        self.max_span = max_span
        self.buffer = ""
        self.inside: str | None = None
        self.events: list[Event] = []

    def scan(self, units: str) -> list[Event]:
        self.buffer += units
        self._drain(final=False)
        # end()
        if self.inside is None and len(self.buffer) >= 2:
            # A text cut inside "<call>" or "</call>": a fragment, never shown.
            self.events.append({"type": "malformed", "raw": self.buffer, "reason": "unclosed"})
            self.buffer = ""
        self._drain(final=True)
        if self.inside is not None:
            content = self.inside
            self.inside = None
            self.events.append({"type": "malformed", "raw": OPEN + content, "reason": "unclosed"})
            # Words after a stray opener are the model's text; a half-written number is not.
            if not _TAG_MATERIAL.match(content):
                self.buffer = content
                self._drain(final=True)
        return self.events

    def _drain(self, final: bool) -> None:
        while self.buffer:
            if self.inside is not None:
                if not self._scan_inside():
                    return
            elif not self._scan_outside(final):
                return

    def _scan_outside(self, final: bool) -> bool:
        buf = self.buffer
        start = 0
        while True:
            lt = buf.find("<", start)
            if lt < 0:
                self._emit_text(buf)
                self.buffer = ""
                return True
            rest = buf[lt:]
            if rest.startswith(OPEN):
                self._emit_text(buf[:lt])
                self.buffer = rest[len(OPEN):]
                self.inside = ""
                return True
            if rest.startswith(CLOSE):
                self._emit_text(buf[:lt])
                self.events.append({"type": "malformed", "raw": CLOSE, "reason": "stray-close"})
                self.buffer = rest[len(CLOSE):]
                return True
            if not final and (OPEN.startswith(rest) or CLOSE.startswith(rest)):
                # Could still become a tag: held back.
                self._emit_text(buf[:lt])
                self.buffer = rest
                return False
            start = lt + 1

    def _scan_inside(self) -> bool:
        content = (self.inside or "") + self.buffer
        close = content.find(CLOSE)
        nested = content.find(OPEN)
        if close >= 0 and (nested < 0 or close < nested) and close <= MAX_TAG_CONTENT:
            inner = content[:close]
            self.inside = None
            self.buffer = content[close + len(CLOSE):]
            self.events.append(self._decide(inner))
            return True
        if 0 <= nested <= MAX_TAG_CONTENT:
            # A second opener before any close: the first one is broken.
            self._break_tag(content[:nested], content[nested:])
            return True
        window = MAX_TAG_CONTENT + len(CLOSE)
        if len(content) > window:
            self._break_tag(content[:window], content[window:])
            return True
        self.inside = content
        self.buffer = ""
        return False

    def _break_tag(self, content: str, after: str) -> None:
        self.inside = None
        self.events.append({"type": "malformed", "raw": OPEN, "reason": "unclosed"})
        self.buffer = ("" if _TAG_MATERIAL.match(content) else content) + after

    def _decide(self, inner: str) -> Event:
        raw = OPEN + inner + CLOSE
        match = _VALID_CONTENT.match(inner)
        if not match:
            reason = "missing-number" if re.fullmatch(f"{_WS}*", inner) else "not-a-number"
            return {"type": "malformed", "raw": raw, "reason": reason}
        requested = _number(match.group(1))
        if requested == 0:
            return {"type": "malformed", "raw": raw, "reason": "zero"}
        return {"type": "call", "n": clamp(requested, self.max_span), "requested": requested, "raw": raw}

    def _emit_text(self, text: str) -> None:
        if not text:
            return
        if self.events and self.events[-1]["type"] == "text":
            self.events[-1]["text"] += text
        else:
            self.events.append({"type": "text", "text": text})


def scan(text: str, max_span: int) -> list[Event]:
    """The product's events for `text` (scanAll): text, call (n clamped, requested as written) and
    malformed (reason: zero, missing-number, not-a-number, unclosed, stray-close), adjacent text
    joined."""
    out: list[Event] = []
    for event in _Scanner(max_span).scan(_units(text)):
        event = {k: (_text(v) if k in ("text", "raw") else v) for k, v in event.items()}
        if event["type"] == "text" and out and out[-1]["type"] == "text":
            out[-1]["text"] += event["text"]
        elif event["type"] != "text" or event["text"]:
            out.append(event)
    return out


# The span limit does not change which tags there are or what is left visible.
_ANY_SPAN = 1 << 30


def render(n: int) -> str:
    """The command text for n requested teacher tokens."""
    if n < 1:
        raise ValueError(f"a call asks for at least one token, not {n}")
    return f"{OPEN}{n}{CLOSE}"


def last_command(text: str) -> int | None:
    """n as requested by the command that ends `text` (the student stopped at `</call>`), or None.

    Only trailing whitespace may follow it. n = 0, a tag without a decimal n, or any other
    malformed tag is no call, as in the product.
    """
    events = scan(text, _ANY_SPAN)
    while events and events[-1]["type"] == "text" and re.fullmatch(f"{_WS}*", events[-1]["text"]):
        events.pop()
    if not events or events[-1]["type"] != "call":
        return None
    return int(events[-1]["requested"])


def commands(text: str) -> list[int]:
    """Every well-formed command's n as requested (n > 0), in order."""
    return [int(e["requested"]) for e in scan(text, _ANY_SPAN) if e["type"] == "call"]


def malformed(text: str) -> list[str]:
    """The reason of every malformed tag (the product's `malformedTags` counts them), in order."""
    return [e["reason"] for e in scan(text, _ANY_SPAN) if e["type"] == "malformed"]


def strip(text: str) -> str:
    """What the user and the teacher see: every command tag, well-formed or not, removed (visibleText)."""
    return "".join(e["text"] for e in scan(text, _ANY_SPAN) if e["type"] == "text")


def clamp(n: int | float, max_span: int) -> int:
    """n clamped to [1, max_span], as the controller does."""
    return int(max(1, min(n, max_span)))
