"""Training a token router on collections from `relay router collect`.

Each collection is JSON lines: a settings line (features, student and teacher fingerprints),
then one line per student answer (every token's features and the teacher's verdict on it) and
one per rollout (did a call at that token turn the wrong answer right?). The router learns,
per token, whether the teacher should write from here:

- label ``disagree``: the teacher would write something else from inside this token;
- label ``strong``: ... and gives the student's own text less than ``--strong-below`` (most
  disagreements are word choices the teacher also finds likely);
- label ``rollout``: ``strong``, with the rolled-out tokens weighted by their outcome (a call
  that fixed the answer counts ``--rollout-weight`` times, one that did not is a negative);
- label ``utility``: ``strong``, each positive weighted by the chance that a call there fixes the
  answer (a small logistic model fitted on the rollouts of the training answers);
- label ``expected`` (default): that chance times ``strong``, as a soft label — the expected gain
  of a call at the token.

Answers (not tokens) are split into train and held-out sets, so a held-out answer's tokens were
never seen. Logistic regression and a small MLP (scikit-learn) are fitted; ``auto`` keeps the
one with the higher held-out ROC AUC. The router file is what the product's TypeScript reads
(src/core/routing/router.ts): the scaler and the weights, with the report's figures.

    python -m relaytools.router --out router.json collect-0.jsonl collect-1.jsonl
"""
