"""Continuous drafts on time series (extra `ts`): real series shipped in PyPI wheels
(`series`), torch forecasters with Gaussian heads (`models`), their losses (`objectives`), a
deterministic resumable trainer (`trainer`) and the `tsd ts train` run (`run`)."""
