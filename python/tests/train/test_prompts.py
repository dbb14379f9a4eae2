"""Each model is prompted in its own format: the student as the product renders it, the teacher
with the chat template its GGUF carries (and a GGUF without one is refused with the reason)."""

import os
from pathlib import Path

import pytest

from relaytools.train.export import ExportError, to_gguf
from relaytools.train.prompts import MATH_SUFFIX, TeacherTemplate, TemplateError, chatml, math_user


def test_student_prompt_is_the_products():
    user = math_user("What is 2 + 3?")
    assert user == f"What is 2 + 3?\n{MATH_SUFFIX}" and math_user(user) == user
    assert chatml(user) == f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"


def test_teacher_prompt_uses_the_teachers_own_template():
    template = TeacherTemplate.from_gguf(Path(os.environ["RELAY_TEACHER_GGUF"]))
    text = template.render(math_user("What is 2 + 3?"))
    assert text.startswith("<|im_start|>system\nYou are Qwen")
    assert text.endswith(f"<|im_start|>user\nWhat is 2 + 3?\n{MATH_SUFFIX}<|im_end|>\n<|im_start|>assistant\n")


def test_a_teacher_gguf_without_a_chat_template_is_refused():
    gemma = os.environ.get("RELAY_GEMMA_GGUF")
    if not gemma:
        pytest.fail("RELAY_GEMMA_GGUF is not set: run through scripts/test-python.sh")
    with pytest.raises(TemplateError, match="carries no chat template"):
        TeacherTemplate.from_gguf(Path(gemma))


def test_teacher_continues_the_stripped_answer(teacher):
    prompt = teacher.prompt("What is 2 + 3?")
    assert prompt.endswith("<|im_start|>assistant\n")
    reply = teacher.continue_answer("What is 2 + 3?", "We add <call>4</call>2 and", 4, seed=1)
    assert reply.text and "<call>" not in reply.text


def test_export_refuses_what_is_not_a_checkpoint(tmp_path):
    with pytest.raises(ExportError, match="no converter"):
        to_gguf(tmp_path, tmp_path / "missing.py", tmp_path / "x.gguf")
    converter = tmp_path / "convert.py"
    converter.write_text("")
    with pytest.raises(ExportError, match="not a checkpoint"):
        to_gguf(tmp_path, converter, tmp_path / "x.gguf")
    assert not (tmp_path / "x.gguf").exists()
