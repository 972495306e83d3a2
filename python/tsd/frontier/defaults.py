"""The frontier's default search, in a module that imports nothing numerical (the CLI reads
it to build `--help`)."""

DEFAULT_BUDGETS = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)
DEFAULT_ELLS = tuple(2**i for i in range(13))
DEFAULT_DELTAS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
DEFAULT_TARGETS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
DEFAULT_TAUS = (0.5, 0.65, 0.8, 1.0, 1.25)
DEFAULT_EPS_SCALES = (0.0, 0.25, 0.5, 1.0, 2.0)
