"""The prompts each model sees, rendered as the product renders them.

Student: the user turn ends with the paper's instruction (src/core/prompts.ts) and is rendered in
ChatML without a system turn, which is what node-llama-cpp's ChatML wrapper sends SmolLM2 in
`relay ask` (checked by rendering it there). Training on the product's exact prompt keeps the
learned calls where the product will ask for them.

Teacher: its own chat template, read from its GGUF (docs/architecture.md, "The relay protocol":
a local teacher's input is rendered in the teacher's own format), followed by the stripped answer
so far as raw continuation.
"""

from __future__ import annotations

from pathlib import Path

MATH_SUFFIX = "Please reason step by step, and put your final answer within \\boxed{}."


def math_user(question: str) -> str:
    """The user turn for a math question, ending with the instruction once."""
    text = question.rstrip()
    return text if text.endswith(MATH_SUFFIX) else f"{text}\n{MATH_SUFFIX}"


def chatml(user: str) -> str:
    """The student's prompt text up to the start of its answer."""
    return f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"


class TemplateError(Exception):
    """A teacher's chat format cannot be had."""


class TeacherTemplate:
    """A teacher GGUF's own Jinja chat template, rendered with a generation prompt."""

    def __init__(self, source: str, name: str) -> None:
        from jinja2 import StrictUndefined
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        def raise_exception(message: str) -> None:
            raise TemplateError(f"{name}'s chat template: {message}")

        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined)
        env.globals["raise_exception"] = raise_exception
        env.policies["json.dumps_kwargs"] = {"ensure_ascii": False}
        self.name = name
        self._template = env.from_string(source)

    @classmethod
    def from_gguf(cls, path: Path) -> "TeacherTemplate":
        from gguf import GGUFReader

        field = GGUFReader(str(path)).fields.get("tokenizer.chat_template")
        if field is None:
            raise TemplateError(f"{path.name} carries no chat template (tokenizer.chat_template); "
                                "a teacher needs one to be prompted in its own format")
        return cls(str(field.contents()), path.name)

    def render(self, user: str) -> str:
        return str(self._template.render(messages=[{"role": "user", "content": user}], tools=None,
                                         add_generation_prompt=True, bos_token="", eos_token=""))
