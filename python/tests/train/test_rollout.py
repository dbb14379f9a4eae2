"""The GRPO rollout: the relay over token ids with the real student and the real teacher, and
TRL's own handling of what it returns (env_mask becomes part of the loss mask)."""

from relaytools.train import relay
from relaytools.train.prompts import chatml, math_user
from relaytools.train.relay import Answer, RelayLimits
from relaytools.train.rollout import to_trl
from relaytools.train.segments import Segment

QUESTION = "What is 23 + 45?"


def primed_ids(tokenizer):
    own = tokenizer.encode(" We add", add_special_tokens=False)
    odd = [i for ch in " the" for i in tokenizer.encode(ch, add_special_tokens=False)]  # " the" letter by letter
    return tuple(own + odd + tokenizer.encode("<call>8</call>", add_special_tokens=False))


def primed(tokenizer, teacher, limits):
    """An answer whose student wrote `<call>8</call>` in a NON-canonical tokenization: if anything
    decoded and re-encoded the student's ids, these ids would not survive."""
    ids = primed_ids(tokenizer)
    assert list(ids) != tokenizer.encode(tokenizer.decode(ids), add_special_tokens=False)
    answer = Answer(QUESTION, tuple(tokenizer.encode(chatml(math_user(QUESTION)), add_special_tokens=False)))
    answer.segments.append(Segment("student", ids, tokenizer.decode(ids)))
    answer.logprobs.extend([0.0] * len(ids))
    seeds = iter(range(7, 100))
    fn = lambda q, so_far, n: teacher.continue_answer(q, so_far, n, seed=next(seeds))  # noqa: E731
    relay.teacher_span(answer, 8, limits, tokenizer, fn)
    return answer, ids, fn


def test_relay_keeps_student_ids_and_masks_the_teacher(smollm, teacher):
    model, tokenizer = smollm
    limits = RelayLimits(max_tokens=40, max_span=8, temperature=1.0)
    answer, ids, fn = primed(tokenizer, teacher, limits)
    relay.run(model, tokenizer, [answer], limits, fn)
    assert answer.finish in ("eos", "length", "teacher-eos")
    assert answer.calls == 1 and answer.requested == 8
    kinds = [s.kind for s in answer.segments]
    assert kinds[:2] == ["student", "teacher"]
    out = to_trl([answer])
    completion, mask = out["completion_ids"][0], out["env_mask"][0]
    assert completion[: len(ids)] == list(ids)  # the student's ids as they were, not re-tokenized
    teacher_ids = answer.segments[1].ids
    assert 0 < len(teacher_ids) <= 8
    assert completion[len(ids): len(ids) + len(teacher_ids)] == list(teacher_ids)
    assert mask == [1] * len(ids) + [0] * len(teacher_ids) + [1] * (len(completion) - len(ids) - len(teacher_ids))
    assert len(out["logprobs"][0]) == len(completion)
    assert out["prompt_ids"][0] == list(answer.prompt_ids)
    assert out["calls"] == [1] and out["requested"] == [8] and out["teacher_tokens"] == [len(teacher_ids)]
    # Log-probabilities of sampled student tokens are real (negative or zero), the teacher's are 0.
    sampled = out["logprobs"][0][len(ids) + len(teacher_ids):]
    assert all(lp <= 0.0 for lp in sampled)


def test_the_span_is_cut_to_the_tokens_left(smollm, teacher):
    _, tokenizer = smollm
    limits = RelayLimits(max_tokens=len(primed_ids(tokenizer)) + 3, max_span=8)
    answer, _, _ = primed(tokenizer, teacher, limits)
    assert answer.requested == 8  # what the student asked for (clamped to max_span) ...
    assert 0 < len(answer.segments[1].ids) <= 3  # ... but only what is left of max_tokens is granted
    assert answer.length <= limits.max_tokens


def test_trl_takes_env_mask_into_its_loss_mask(smollm, teacher, tmp_path):
    """GRPOTrainer, given our rollout's output, multiplies env_mask into the loss mask."""
    import os

    import torch

    os.environ["TRL_EXPERIMENTAL_SILENCE"] = "1"
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    model, tokenizer = smollm
    limits = RelayLimits(max_tokens=24, max_span=6, temperature=1.0)
    made = []

    def rollout(prompts, trainer):
        answers = []
        for _ in prompts:
            answer, _, fn = primed(tokenizer, teacher, limits)
            answers.append(answer)
        relay.run(trainer.model, tokenizer, answers, limits, fn)
        made.extend(answers)
        return to_trl(answers)

    def reward(completions, **kwargs):
        return [float(len(c)) for c in completions]

    config = GRPOConfig(output_dir=str(tmp_path), num_generations=2, per_device_train_batch_size=2, max_steps=1,
                        use_cpu=True, report_to=[], save_strategy="no", beta=0.0, temperature=1.0,
                        max_completion_length=24, disable_tqdm=True, logging_steps=1)
    data = Dataset.from_list([{"prompt": [{"role": "user", "content": math_user(QUESTION)}]}])
    trainer = GRPOTrainer(model=model, reward_funcs=[reward], args=config, train_dataset=data,
                          processing_class=tokenizer, rollout_func=rollout)
    inputs = [{"prompt": [{"role": "user", "content": math_user(QUESTION)}]}] * 2
    trainer.model.train()
    out = trainer._generate_and_score_completions(inputs)
    mask = (out["completion_mask"] * out["tool_mask"]).tolist()
    for row, answer in enumerate(made):
        student, teacher_span = len(answer.segments[0].ids), len(answer.segments[1].ids)
        assert mask[row][:student] == [1] * student
        assert mask[row][student: student + teacher_span] == [0] * teacher_span
        assert out["completion_ids"][row, : answer.length].tolist() == answer.completion_ids
    trainer.current_gradient_accumulation_steps = 1  # set by the training loop, which this test does not run
    loss = trainer.compute_loss(trainer.model, out)
    assert torch.isfinite(loss)


def test_a_teacher_that_cannot_be_reached_loses_nothing(smollm):
    """A real connection refused (nothing listens on the port): the call is recorded as failed
    and the student carries on."""
    from relaytools.train.prompts import TeacherTemplate
    from relaytools.train.server import free_port
    from relaytools.train.teacher import CompletionsClient, Teacher
    import os
    from pathlib import Path

    model, tokenizer = smollm
    dead = Teacher(CompletionsClient(f"http://127.0.0.1:{free_port()}/v1", timeout_s=5),
                   TeacherTemplate.from_gguf(Path(os.environ["RELAY_TEACHER_GGUF"])))
    limits = RelayLimits(max_tokens=30, max_span=8)
    answer, ids, _ = primed(tokenizer, dead, limits)
    assert answer.calls == 1 and answer.failed_calls == 1
    assert [s.kind for s in answer.segments] == ["student"]
    relay.run(model, tokenizer, [answer], limits, lambda q, s, n: dead.continue_answer(q, s, n))
    assert answer.finish in ("eos", "length") and answer.completion_ids[: len(ids)] == list(ids)
