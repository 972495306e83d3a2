"""The LM benchmark's `hf-assisted` method: transformers' assisted generation with a draft as
the assistant, timed by forward hooks (see `tsd.experiments.lm_methods` for what each
measured second means)."""

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
import transformers

from tsd.experiments.lm_drafts import Draft
from tsd.experiments.lm_methods import Measurement, run_seed
from tsd.models.hf import HFModel
from tsd.models.session import History

__all__ = ["measure_hf_assisted"]


class _ModuleTimer:
    """Forward calls and seconds of one transformers module, through its forward hooks. An
    early-exit draft's module is a shallow copy of the target's and shares its hook tables,
    so each hook counts only the module it was registered for. On CUDA each hook waits for
    the device, so a forward's seconds are its kernels' and not only their launches."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.calls = 0
        self.seconds = 0.0
        self._began = 0.0
        self._cuda = next(module.parameters()).device.type == "cuda"

    def _now(self) -> float:
        if self._cuda:
            torch.cuda.synchronize()
        return time.perf_counter()

    def _before(self, module: Any, args: Any) -> None:
        if module is self.module:
            self._began = self._now()

    def _after(self, module: Any, args: Any, output: Any) -> None:
        if module is self.module:
            self.seconds += self._now() - self._began
            self.calls += 1

    @contextmanager
    def attached(self) -> Iterator["_ModuleTimer"]:
        handles = [
            self.module.register_forward_pre_hook(self._before),
            self.module.register_forward_hook(self._after),
        ]
        try:
            yield self
        finally:
            for handle in handles:
                handle.remove()


@contextmanager
def _assistant_config(module: Any, L: int) -> Iterator[None]:
    """The assistant drafts exactly L tokens a round: constant schedule, no confidence cut-off.
    Its generation config is replaced by a copy (an early-exit draft shares the target's) and
    restored afterwards; transformers' own log lines are silenced meanwhile."""
    saved = module.generation_config
    config = transformers.GenerationConfig.from_dict(saved.to_dict())
    config.num_assistant_tokens = L
    config.num_assistant_tokens_schedule = "constant"
    config.assistant_confidence_threshold = 0.0
    verbosity = transformers.logging.get_verbosity()
    module.generation_config = config
    transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        module.generation_config = saved
        transformers.logging.set_verbosity(verbosity)


def measure_hf_assisted(
    target: HFModel,
    draft: Draft,
    prompts: Sequence[History],
    *,
    L: int,
    max_new_tokens: int,
    seed: int,
    run: int,
) -> Measurement:
    """transformers' assisted generation with `draft` as the assistant, one prompt at a time,
    sampling from the target's law (temperature, top-k, top-p)."""
    law = target.law
    module = target.module
    eos = module.generation_config.eos_token_id
    pad = eos[0] if isinstance(eos, list) else eos
    outputs = []
    with (
        _assistant_config(draft.module, L),
        _ModuleTimer(module).attached() as target_timer,
        _ModuleTimer(draft.module).attached() as draft_timer,
    ):
        began = time.perf_counter()
        for i, prompt in enumerate(prompts):
            torch.manual_seed(run_seed(seed, run, i))
            ids = torch.tensor(np.asarray(prompt, dtype=np.int64)[None], device=target.device)
            out = module.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                assistant_model=draft.module,
                do_sample=True,
                temperature=law.temperature,
                top_k=law.top_k or 0,
                top_p=1.0 if law.top_p is None else law.top_p,
                max_new_tokens=max_new_tokens,
                min_new_tokens=max_new_tokens,
                pad_token_id=pad,
            )
            outputs.append(out[0, ids.shape[1] :].cpu().numpy().astype(np.uint32))
        wall = time.perf_counter() - began
    return Measurement(
        outputs=outputs,
        wall_s=wall,
        target_calls=target_timer.calls,
        target_forward_s=target_timer.seconds,
        draft_calls=draft_timer.calls,
        draft_model_s=draft_timer.seconds,
        psi_tsu_verify_s=None,
        stats=None,
    )
