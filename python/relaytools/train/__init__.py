"""Training a relay student (docs/architecture.md, "Training a relay student"): warm-up data with real `<call>n</call>` tags and the
teacher's real continuations, a teacher pass-rate filter, an SFT warm-up whose loss skips the
teacher's tokens, GRPO whose rollout runs the relay with the teacher's tokens masked out of the
loss and a difficulty-aware reward decided per question group, and export to GGUF with
llama.cpp's own converter.

    python -m relaytools.train --profile smoke --out DIR
"""
