"""Lossy judge decoding (AutoJudge, Garipov et al. 2025): at a mismatch between the draft's
token and the greedy target's, a judge may accept the draft token when it judges the
difference unimportant to the answer. Numpy-only modules; the torch-using ones are imported
where used."""
