"""Distilled drafts (extra `train`: torch and transformers): objectives (KL both ways, JSD,
total variation, a mix), off- and on-policy data, the deterministic resumable trainer, exact
held-out acceptance, and the two worlds (characters under a Kneser–Ney teacher; SmolLM2-135M).

Importing this package imports torch; `import tsd` never does."""
