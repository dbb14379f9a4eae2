"""The warm-up's loss covers the student's tokens only: TRL's SFTTrainer, given our records,
labels the prompt and the teacher's span -100 and everything the student wrote (its text and
its command) with the token itself; the loss does not change when the teacher's text does."""

from relaytools.train import sft, tags
from relaytools.train.prompts import chatml, math_user
from relaytools.train.segments import Segment
from relaytools.train.sft import SftSettings


def record(tokenizer, teacher_text):
    def seg(kind, *texts):
        ids = tuple(i for t in texts for i in tokenizer.encode(t, add_special_tokens=False))
        return Segment(kind, ids, "".join(texts)).as_json()

    # The command is tokenized on its own after the student's text, as the warm-up writes it.
    return {"prompt": [{"role": "user", "content": math_user("What is 23 + 45?")}],
            "segments": [seg("student", "23 + 45 is", tags.render(4)), seg("teacher", teacher_text),
                         seg("student", ", so the answer is \\boxed{68}.<|im_end|>")]}


def tiny_model(tokenizer):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=256)
    return LlamaForCausalLM(config)


def test_labels_skip_the_prompt_and_the_teacher_span(smollm, tmp_path):
    _, tokenizer = smollm
    rec = record(tokenizer, " 6 plus 62")
    trainer = sft.trainer(tiny_model(tokenizer), tokenizer, [rec], SftSettings(steps=1, batch_size=1), tmp_path)
    row = trainer.train_dataset[0]
    prompt = tokenizer.encode(chatml(rec["prompt"][0]["content"]), add_special_tokens=False)
    spans = [s["ids"] for s in rec["segments"]]
    expected = [-100] * len(prompt) + spans[0] + [-100] * len(spans[1]) + spans[2]
    assert row["labels"] == expected
    assert row["input_ids"] == prompt + spans[0] + spans[1] + spans[2]
    # The collator TRL trains with keeps the same labels.
    batch = trainer.data_collator([trainer.train_dataset[0]])
    assert batch["labels"][0].tolist() == expected
    # The command the student wrote is a target; the teacher's tokens are not.
    command = tokenizer.encode("<call>4</call>", add_special_tokens=False)
    assert row["labels"][len(prompt) + len(spans[0]) - len(command): len(prompt) + len(spans[0])] == command
    assert all(label == -100 for label in row["labels"][len(prompt) + len(spans[0]): len(prompt) + len(spans[0]) + len(spans[1])])


def test_trls_loss_is_the_mean_over_student_tokens_only(smollm, tmp_path):
    import torch
    import torch.nn.functional as F

    _, tokenizer = smollm
    model = tiny_model(tokenizer)
    rec = record(tokenizer, " 6 plus 62")
    trainer = sft.trainer(model, tokenizer, [rec], SftSettings(steps=1, batch_size=1), tmp_path)
    batch = trainer.data_collator([trainer.train_dataset[0]])
    with torch.no_grad():
        loss = trainer.compute_loss(model, dict(batch))
        logits = model(input_ids=batch["input_ids"]).logits[0, :-1]
    targets = batch["input_ids"][0, 1:]
    nll = F.cross_entropy(logits.float(), targets, reduction="none")
    student = batch["labels"][0, 1:] != -100
    prompt_len = len(tokenizer.encode(chatml(rec["prompt"][0]["content"]), add_special_tokens=False))
    completion = torch.arange(len(targets)) >= prompt_len - 1
    assert torch.isclose(loss, nll[student].mean(), atol=1e-5)
    # Counting the teacher's tokens as targets (what the reference's RL stage does) gives another loss.
    assert not torch.isclose(loss, nll[completion].mean(), atol=1e-4)
    assert student.sum() < completion.sum()


def test_the_chat_format_jsonl_is_read_by_trl_as_it_is(smollm, tmp_path):
    """The warm-up JSONL is TRL's conversational prompt/completion format: SFTTrainer reads it
    without our tokenization (then with loss on the whole completion, teacher's text included,
    which is why training uses the segment-masked form)."""
    import json

    from datasets import load_dataset
    from trl import SFTConfig, SFTTrainer

    _, tokenizer = smollm
    rec = record(tokenizer, " 6 plus 62")
    rec["completion"] = [{"role": "assistant", "content": "".join(s["text"] for s in rec["segments"])}]
    path = tmp_path / "warmup.jsonl"
    path.write_text(json.dumps(rec) + "\n")
    data = load_dataset("json", data_files=str(path), split="train").select_columns(["prompt", "completion"])
    config = SFTConfig(output_dir=str(tmp_path / "out"), max_steps=1, use_cpu=True, report_to=[], save_strategy="no",
                       disable_tqdm=True)
    trainer = SFTTrainer(model=tiny_model(tokenizer), args=config, train_dataset=data, processing_class=tokenizer)
    row = trainer.train_dataset[0]
    assert "input_ids" in row and len(row["input_ids"]) > 0
    assert sum(label != -100 for label in row["labels"]) > 0
