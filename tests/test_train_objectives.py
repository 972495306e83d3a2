"""The distillation objectives against closed forms on small enumerated laws, each beside the
planted bug it must tell apart; the student's law on a sparse teacher's outcomes."""

import math

import pytest
import torch

pytest.importorskip("transformers")

from tsd.errors import InvalidArgumentError
from tsd.train.objectives import (
    MIX_WEIGHT,
    acceptance,
    forward_kl,
    jensen_shannon,
    objective,
    reverse_kl,
    total_variation,
)
from tsd.train.rows import TeacherRows, student_logp
from tsd.train.teachers import top_k_rows

torch.set_num_threads(1)

P = torch.tensor([0.5, 0.25, 0.25], dtype=torch.float64)
Q = torch.tensor([0.25, 0.25, 0.5], dtype=torch.float64)
LN2 = math.log(2.0)


def logs(*laws: torch.Tensor) -> list[torch.Tensor]:
    return [law.log() for law in laws]


def test_forward_and_reverse_kl_match_their_closed_forms_and_differ() -> None:
    logp, logq = logs(P, Q)
    # KL(p‖q) = ½ ln 2 + ¼ ln ½ = ¼ ln 2; here the two directions coincide by symmetry of the
    # values, so a skewed pair tells a swapped argument apart.
    assert float(forward_kl(logp, logq)) == pytest.approx(0.25 * LN2, abs=1e-15)
    skewed = torch.tensor([0.9, 0.1], dtype=torch.float64)
    flat = torch.tensor([0.5, 0.5], dtype=torch.float64)
    fkl = 0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5)
    rkl = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    assert float(forward_kl(skewed.log(), flat.log())) == pytest.approx(fkl, abs=1e-15)
    assert float(reverse_kl(skewed.log(), flat.log())) == pytest.approx(rkl, abs=1e-15)
    assert abs(fkl - rkl) > 0.1  # the planted bug (arguments swapped) would fail both


def test_kl_treats_zero_teacher_mass_as_zero_and_an_impossible_draft_as_infinite() -> None:
    p = torch.tensor([1.0, 0.0], dtype=torch.float64)
    q = torch.tensor([0.5, 0.5], dtype=torch.float64)
    assert float(forward_kl(p.log(), q.log())) == pytest.approx(LN2, abs=1e-15)
    assert math.isinf(float(reverse_kl(p.log(), q.log())))


def test_total_variation_is_one_minus_acceptance_with_the_half() -> None:
    logp, logq = logs(P, Q)
    assert float(total_variation(logp, logq)) == pytest.approx(0.25, abs=1e-15)
    assert float(acceptance(logp, logq)) == pytest.approx(0.75, abs=1e-15)
    unhalved = float((P - Q).abs().sum())  # the planted bug: a missing ½
    assert unhalved != pytest.approx(float(total_variation(logp, logq)))


def test_jensen_shannon_matches_its_closed_form_and_its_bound() -> None:
    logp, logq = logs(P, Q)
    m = (P + Q) / 2
    expected = 0.5 * float((P * (P / m).log()).sum()) + 0.5 * float((Q * (Q / m).log()).sum())
    # by hand: m = (3/8, 1/4, 3/8); each half is ½ ln(4/3) + ¼ ln(2/3)
    by_hand = 0.5 * math.log(4 / 3) + 0.25 * math.log(2 / 3)
    assert expected == pytest.approx(by_hand, abs=1e-15)
    assert float(jensen_shannon(logp, logq)) == pytest.approx(by_hand, abs=1e-15)
    disjoint = torch.tensor([1.0, 0.0], dtype=torch.float64)
    assert float(jensen_shannon(disjoint.log(), disjoint.flip(0).log())) == pytest.approx(LN2)
    # The planted bug, the two KLs to m without their halves, is a different number.
    unhalved = float((P * (P / m).log()).sum()) + float((Q * (Q / m).log()).sum())
    assert unhalved != pytest.approx(float(jensen_shannon(logp, logq)))


def test_mix_weighs_forward_kl_and_tv() -> None:
    logp, logq = logs(P, Q)
    expected = MIX_WEIGHT * 0.25 * LN2 + (1 - MIX_WEIGHT) * 0.25
    assert float(objective("mix")(logp, logq)) == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize("name", ["fkl", "rkl", "jsd", "tv", "mix"])
def test_every_objective_is_zero_exactly_at_the_teacher(name: str) -> None:
    logp = P.log()
    assert float(objective(name)(logp, logp)) == 0.0
    assert float(objective(name)(logp, Q.log())) > 0.01


def test_an_unknown_objective_is_named() -> None:
    with pytest.raises(InvalidArgumentError, match="objective: must be one of fkl, rkl"):
        objective("kl")


def test_a_sparse_teacher_keeps_its_top_tokens_and_the_tail_mass_exactly() -> None:
    p = torch.tensor([[0.1, 0.4, 0.2, 0.3]], dtype=torch.float64)
    sparse = top_k_rows(TeacherRows(p.log()), 2)
    assert sparse.ids is not None
    assert sparse.ids.tolist() == [[1, 3]]
    assert sparse.logp.exp().tolist()[0] == pytest.approx([0.4, 0.3, 0.3], abs=1e-15)
    logits = torch.tensor([[0.0, 1.0, 2.0, 3.0]])
    q = torch.softmax(logits.double(), -1)[0]
    coarse = student_logp(logits, sparse).exp()[0]
    assert coarse.tolist() == pytest.approx([float(q[1]), float(q[3]), float(q[0] + q[2])])
    # Coarsening can only lower TV (data processing), and here it does: the tail merges
    # tokens where p − q has opposite signs.
    dense_tv = float(total_variation(p.log(), torch.log_softmax(logits.double(), -1)))
    assert float(total_variation(sparse.logp, student_logp(logits, sparse))) < dense_tv
