"""The relay over token ids, as the product's controller runs it (docs/architecture.md, "The relay protocol").

The student generates until `</call>` (or end of turn, or the token limit); a well-formed call
asks the teacher for min(n, max_span, tokens left) tokens of the stripped answer so far; the
teacher's text is tokenized with the student's tokenizer, cut to the granted count and appended;
the student resumes. If the teacher ends the answer inside its span, the answer is finished. The
student's own ids are kept exactly as sampled.

Many answers advance together: each round samples every unfinished answer in one batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from . import tags
from .generation import Sampled, sample
from .segments import Segment, flatten, text
from .teacher import TeacherError, TeacherReply

# (question, stripped answer so far, max tokens) -> the teacher's reply
TeacherFn = Callable[[str, str, int], TeacherReply]
Finish = Literal["eos", "teacher-eos", "length", "running"]
# (contexts, per-context token limits, temperature) -> one continuation per context, each ending at
# end of turn, `</call>` or its limit. Transformers by default; vLLM on GPUs (python/recipes).
Sampler = Callable[[list[list[int]], list[int], float], list[Sampled]]


@dataclass(frozen=True)
class RelayLimits:
    max_tokens: int = 256  # per answer, student's and teacher's
    max_span: int = 64  # teacher tokens per call at most
    max_calls: int = 4
    temperature: float = 1.0


@dataclass
class Answer:
    question: str
    prompt_ids: tuple[int, ...]
    segments: list[Segment] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)  # one per id; 0.0 on the teacher's
    calls: int = 0  # the student's calls sent to the teacher
    failed_calls: int = 0  # of those, the ones the teacher did not answer
    requested: int = 0  # teacher tokens asked for, each n clamped
    finish: Finish = "running"

    @property
    def length(self) -> int:
        return sum(len(s.ids) for s in self.segments)

    @property
    def text(self) -> str:
        return text(self.segments)

    @property
    def completion_ids(self) -> list[int]:
        return flatten(self.segments)


def teacher_span(answer: Answer, n: int, limits: RelayLimits, tokenizer: Any, teacher: TeacherFn) -> None:
    """Ask the teacher for the span a command requested and splice it into `answer`."""
    granted = min(tags.clamp(n, limits.max_span), limits.max_tokens - answer.length)
    if granted <= 0:
        return
    answer.calls += 1
    answer.requested += tags.clamp(n, limits.max_span)
    try:
        reply = teacher(answer.question, answer.text, granted)
    except TeacherError:
        # As in the product: a teacher failure never loses the answer; the student carries on.
        answer.failed_calls += 1
        return
    ids = tokenizer.encode(reply.text, add_special_tokens=False)[:granted]
    if ids:
        answer.segments.append(Segment("teacher", tuple(ids), tokenizer.decode(ids)))
        answer.logprobs.extend([0.0] * len(ids))
    if reply.eos:
        answer.finish = "teacher-eos"


def transformers_sampler(model: Any, tokenizer: Any) -> Sampler:
    def sampler(contexts: list[list[int]], room: list[int], temperature: float) -> list[Sampled]:
        return sample(model, tokenizer, contexts, room, temperature=temperature, stop_at_call=True)

    return sampler


def run(model: Any, tokenizer: Any, answers: Sequence[Answer], limits: RelayLimits, teacher: TeacherFn,
        sampler: Sampler | None = None) -> None:
    """Run every answer to its end, in place."""
    draw = sampler or transformers_sampler(model, tokenizer)
    while True:
        active = [a for a in answers if a.finish == "running"]
        if not active:
            return
        room = [limits.max_tokens - a.length for a in active]
        for a, r in zip(active, room):
            if r <= 0:
                a.finish = "length"
        active = [a for a, r in zip(active, room) if r > 0]
        if not active:
            return
        sampled = draw([list(a.prompt_ids) + a.completion_ids for a in active],
                       [limits.max_tokens - a.length for a in active], limits.temperature)
        for a, s in zip(active, sampled):
            if s.ids:
                a.segments.append(Segment("student", s.ids, tokenizer.decode(s.ids)))
                a.logprobs.extend(s.logprobs)
            if s.stop == "eos":
                a.finish = "eos"
            elif s.stop == "length":
                a.finish = "length"
            else:
                n = tags.last_command(tokenizer.decode(s.ids))
                # A malformed tag or one over the call limit is no call: the student carries on.
                if n is not None and a.calls < limits.max_calls:
                    teacher_span(a, n, limits, tokenizer, teacher)
