"""Lossy judge decoding (AutoJudge and training-free judges): a judge may accept a draft token
the greedy target would not have emitted. Importing this package imports no torch; the
torch-using modules (`tsd.judge.decode`) are imported where used."""
