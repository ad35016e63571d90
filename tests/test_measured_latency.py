"""FasterTransformer's 13B on A100 (as cited by llm-analysis) against servingmath's roofline."""

from __future__ import annotations

import pytest

from servingmath.book.measured import FT_13B, FT_ROWS, ft_bound, ft_values
from servingmath.book.shown import as_registry


def test_model_shapes_match_llm_analysis_test_13b() -> None:
    # llm_analysis/model_configs/test-13b.json: 40 layers, 40 heads, 5120, vocab 50272, ffn 20480
    m = FT_13B
    assert (m.L, m.N, m.K, m.D, m.V, m.F, m.mlp_matrices) == (40, 40, 40, 5120, 50272, 20480, 2)
    assert m.exact_param_count == pytest.approx(13e9, rel=0.02)


@pytest.mark.parametrize("constants", ["book", "spec"])
def test_every_measurement_is_slower_than_its_roofline(constants: str) -> None:
    for r in FT_ROWS:
        b = ft_bound(r, constants)
        assert b.prefill_s < r.prefill_s and b.decode_s < r.decode_s and b.total_s < r.total_s
        assert 0.4 < b.decode_s / r.decode_s < 0.9  # the roofline explains most of it, not all


def test_communication_only_under_spec_and_only_with_two_gpus() -> None:
    one, two = FT_ROWS
    assert ft_bound(one, "spec").decode_comm_s == 0 and ft_bound(two, "book").decode_comm_s == 0
    spec, book = ft_bound(two, "spec"), ft_bound(two, "book")
    assert spec.decode_comm_s > 0 and spec.decode_s == pytest.approx(
        book.decode_s + spec.decode_comm_s, rel=1e-9
    )
    assert spec.prefill_s == pytest.approx(book.prefill_s + spec.prefill_comm_s, rel=1e-9)


def test_close_to_llm_analysis_ideal_estimates() -> None:
    """llm-analysis's README gives its ideal-efficiency estimates for the same runs: prefill
    43.7 / 23.7 ms and decode 17.07 / 9.35 ms on one / two GPUs. servingmath's differ by its
    model (it also reads the LM head, no activations, its own all-reduce model): within 10%."""
    ideal = {1: (43.7e-3, 17.07e-3), 2: (23.7e-3, 9.35e-3)}
    for r in FT_ROWS:
        b = ft_bound(r, "spec")
        prefill, decode = ideal[r.gpus]
        assert b.prefill_s == pytest.approx(prefill, rel=0.1)
        assert b.decode_s == pytest.approx(decode, rel=0.1)


def test_values_are_fractions_of_the_measurements() -> None:
    v = as_registry(ft_values("spec"))
    for r in FT_ROWS:
        b = ft_bound(r, "spec")
        text = v[f"meas.ft.{r.key}.decode_fraction"].text
        assert text.endswith("%") and float(text.rstrip(" %")) == pytest.approx(
            100 * b.decode_s / r.decode_s, rel=2e-3
        )
