"""An answer as labelled token segments: what the student wrote and what the teacher wrote.

The student's context is the concatenation of every segment's ids, in order, as the product's
controller builds it (the teacher's text is tokenized with the student's tokenizer and appended
after `</call>`). The loss mask is 1 on the student's tokens (its text and its command tags) and
0 on the teacher's: those are context the student reads, not targets it is trained to write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Kind = Literal["student", "teacher"]


@dataclass(frozen=True)
class Segment:
    kind: Kind
    ids: tuple[int, ...]
    text: str

    def __post_init__(self) -> None:
        if self.kind not in ("student", "teacher"):
            raise ValueError(f"unknown segment kind {self.kind!r}")

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "ids": list(self.ids), "text": self.text}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> "Segment":
        ids = data["ids"]
        if not isinstance(ids, list):
            raise ValueError(f"segment ids must be a list, not {type(ids).__name__}")
        return cls(kind=data["kind"], ids=tuple(int(i) for i in ids), text=str(data["text"]))  # type: ignore[arg-type]


def flatten(segments: Sequence[Segment]) -> list[int]:
    return [i for s in segments for i in s.ids]


def loss_mask(segments: Sequence[Segment]) -> list[int]:
    """1 where the student is trained to write the token, 0 on the teacher's tokens."""
    return [1 if s.kind == "student" else 0 for s in segments for _ in s.ids]


def text(segments: Sequence[Segment]) -> str:
    return "".join(s.text for s in segments)


def teacher_tokens(segments: Sequence[Segment]) -> int:
    return sum(len(s.ids) for s in segments if s.kind == "teacher")
