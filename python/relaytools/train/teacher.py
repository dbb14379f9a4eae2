"""The teacher behind an OpenAI-compatible completions API (llama-cpp-python's server here).

The teacher is sent raw text: its own chat-formatted prompt plus the stripped answer so far,
and asked for at most n tokens. `finish_reason == "stop"` means it ended the answer itself.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from . import tags
from .prompts import TeacherTemplate, math_user


@dataclass(frozen=True)
class TeacherReply:
    text: str
    eos: bool  # the teacher finished the answer inside its span


class TeacherError(Exception):
    """The teacher could not be reached or answered garbage."""


class Completer(Protocol):
    def complete(self, prompt: str, max_tokens: int, temperature: float, seed: int | None) -> TeacherReply: ...


class CompletionsClient:
    """POST /v1/completions, nothing else (stdlib HTTP: one request at a time is all we need)."""

    def __init__(self, base_url: str, model: str = "teacher", timeout_s: float = 300.0) -> None:
        self.url = base_url.rstrip("/") + "/completions"
        self.model = model
        self.timeout_s = timeout_s

    def complete(self, prompt: str, max_tokens: int, temperature: float, seed: int | None) -> TeacherReply:
        body: dict[str, object] = {"model": self.model, "prompt": prompt, "max_tokens": max_tokens,
                                   "temperature": temperature}
        if seed is not None:
            body["seed"] = seed
        request = urllib.request.Request(self.url, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                data = json.loads(response.read())
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as error:
            raise TeacherError(f"teacher request to {self.url} failed: {error}") from error
        try:
            choice = data["choices"][0]
            return TeacherReply(text=str(choice["text"]), eos=choice.get("finish_reason") == "stop")
        except (KeyError, IndexError, TypeError) as error:
            raise TeacherError(f"teacher reply without choices[0].text: {str(data)[:200]}") from error


@dataclass
class Teacher:
    """The relay's teacher: continues a student's answer, or answers a question whole."""

    client: Completer
    template: TeacherTemplate
    temperature: float = 0.7

    def prompt(self, question: str) -> str:
        return self.template.render(math_user(question))

    def continue_answer(self, question: str, answer_so_far: str, max_tokens: int, seed: int | None = None) -> TeacherReply:
        """The next `max_tokens` of an answer; the teacher sees it with every command tag removed."""
        reply = self.client.complete(self.prompt(question) + tags.strip(answer_so_far), max_tokens,
                                     self.temperature, seed)
        # A teacher cannot issue commands.
        return TeacherReply(tags.strip(reply.text), reply.eos)

    def solve(self, question: str, max_tokens: int, seed: int | None = None) -> str:
        return self.client.complete(self.prompt(question), max_tokens, self.temperature, seed).text
