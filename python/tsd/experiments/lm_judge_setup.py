"""What the `autojudge` method of `tsd bench lm` runs on: the judge head from its checkpoint,
the judges built from it and the configured thresholds, and the task's held-out test split
encoded for the target (`JudgeSetup`)."""

from tsd.errors import InvalidArgumentError
from tsd.experiments.lm_config import LMBenchConfig, require_judge_head
from tsd.experiments.lm_judge import JudgeSetup
from tsd.judge.head import JudgeHead, check_feature_size, load_judge_head
from tsd.judge.judges import Judge, make_judge
from tsd.judge.task import get_task, split_questions
from tsd.models.hf import HFModel, encode_prompts

__all__ = ["judges_for", "prepare_judging", "read_judge_head"]


def judges_for(config: LMBenchConfig, head: JudgeHead) -> list[Judge]:
    """AutoJudge per threshold (the head's stored ones unless the config gives some), the KL
    judge per threshold, the top-k judge per k, in that order."""
    thresholds = config.autojudge_thresholds or head.thresholds
    return [
        *(make_judge("autojudge", t, head) for t in sorted(set(thresholds))),
        *(make_judge("kl", t) for t in config.kl_thresholds),
        *(make_judge("topk", k) for k in config.judge_topk),
    ]


def read_judge_head(config: LMBenchConfig) -> JudgeHead:
    """The judge head, checked against what the run fixes before any model is loaded: its
    target, the features decoding computes, and (where its metadata says) the task and split
    seed, so that a mismatch costs no model load."""
    require_judge_head(config)
    assert config.autojudge_checkpoint is not None
    head = load_judge_head(config.autojudge_checkpoint, target=config.target, feature_size=None)
    source = head.meta.get("feature_source", "target")
    if source != "target":
        raise InvalidArgumentError(
            f"autojudge_checkpoint: the head reads {source!r} features; decoding computes the "
            "target's only (feature_source 'target')"
        )
    for key, field, value in (
        ("task", "task", config.task),
        ("seed", "task_seed", config.task_seed),
    ):
        if head.meta.get(key) is not None and head.meta[key] != value:
            raise InvalidArgumentError(
                f"{field}: the head was mined with {key} {head.meta[key]!r}, this run's "
                f"{field} is {value!r}: its test split would not be held out"
            )
    return head


def prepare_judging(config: LMBenchConfig, target: HFModel, head: JudgeHead) -> JudgeSetup:
    """The head (from `read_judge_head`) checked against the loaded target's feature size, the
    task's test split (`task_questions` of it, evenly spaced; the families the head was mined
    on where it says) and the prompts through the target's tokenizer."""
    assert config.autojudge_checkpoint is not None
    check_feature_size(head, int(target.module.config.hidden_size), config.autojudge_checkpoint)
    task = get_task(config.task)
    split = split_questions(task.questions(config.task_seed), config.task_seed)["test"]
    kept = head.meta.get("families") or task.families
    test = [q for q in split if q.family in kept]
    count = len(test) if config.task_questions is None else min(config.task_questions, len(test))
    questions = [test[i * len(test) // count] for i in range(count)]
    ids = encode_prompts(
        target.tokenizer, [q.text for q in questions], chat_template=config.use_chat_template
    )
    return JudgeSetup(task, questions, ids, judges_for(config, head))
