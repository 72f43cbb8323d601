import numpy as np
import pytest

from lib.schedules import (divergence_index, one_cycle_lr, one_cycle_momentum, range_test_lrs,
                           smooth_losses, suggest_lr)

TOTAL = 101  # steps 0..100: the peak sits exactly at step 50


@pytest.mark.parametrize("step, expected", [
    (0, 0.1), (25, 0.55), (50, 1.0), (75, 0.55), (100, 0.1),
])
def test_one_cycle_is_a_symmetric_triangle(step, expected):
    assert one_cycle_lr(step, TOTAL, lr_max=1.0, div_factor=10) == pytest.approx(expected)


@pytest.mark.parametrize("step, expected", [
    (0, 0.1),      # start of the cycle, which now spans steps 0..80
    (40, 1.0),     # its peak
    (80, 0.1),     # its end: back at lr_min
    (90, 0.1 + (0.001 - 0.1) * 0.5),  # halfway through annihilation
    (100, 0.001),  # lr_min / annihilate_div
])
def test_one_cycle_with_annihilation(step, expected):
    lr = one_cycle_lr(step, TOTAL, lr_max=1.0, div_factor=10, annihilate_fraction=0.2, annihilate_div=100)
    assert lr == pytest.approx(expected)


def test_one_cycle_momentum_mirrors_the_lr():
    steps = np.arange(TOTAL)
    m = one_cycle_momentum(steps, TOTAL, 0.95, 0.85, annihilate_fraction=0.2)
    assert m[0] == pytest.approx(0.95) and m[40] == pytest.approx(0.85) and m[80] == pytest.approx(0.95)
    assert np.all(m[80:] == pytest.approx(0.95))


@pytest.mark.parametrize("kwargs, message", [
    ({"total_steps": 1}, "at least 2 steps"),
    ({"annihilate_fraction": 1.0}, r"annihilate_fraction must be in \[0, 1\)"),
])
def test_one_cycle_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        one_cycle_lr(0, **{"total_steps": 10, "lr_max": 1.0, **kwargs})


def test_range_test_lrs_linear_and_exponential():
    assert range_test_lrs(1e-4, 1.0, 3, "linear").tolist() == pytest.approx([1e-4, 0.50005, 1.0])
    assert range_test_lrs(1e-4, 1.0, 5, "exponential").tolist() == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    with pytest.raises(ValueError, match="mode must be"):
        range_test_lrs(1e-4, 1.0, 3, "cosine")
    with pytest.raises(ValueError, match="need 0 < start_lr < end_lr"):
        range_test_lrs(1.0, 0.1, 3)


def test_smoothing_is_bias_corrected():
    # A constant loss stays exactly constant after bias correction (no pull towards 0 at the start).
    assert smooth_losses([2.0] * 5, beta=0.9).tolist() == pytest.approx([2.0] * 5)
    # Hand-computed: avg1 = 0.1*1 = 0.1 -> /0.1 = 1; avg2 = 0.09 + 0.3 = 0.39 -> /0.19
    assert smooth_losses([1.0, 3.0], beta=0.9).tolist() == pytest.approx([1.0, 0.39 / 0.19])


def test_divergence_index_on_a_synthetic_curve():
    curve = np.array([3.0, 2.0, 1.0, 0.8, 1.5, 3.1, 3.3])
    assert divergence_index(curve, stop_factor=4.0) == 6  # 3.3 > 4 * 0.8; 3.1 is not
    assert divergence_index(curve, stop_factor=10.0) is None
    assert divergence_index([1.0, np.nan, 0.5]) == 1
    assert divergence_index([np.inf]) == 0


def test_suggestion_is_the_minimum_divided_by_the_safety_factor():
    lrs = np.geomspace(1e-4, 1.0, 9)
    loss = np.array([2.3, 2.2, 2.0, 1.6, 1.2, 1.0, 1.4, 3.0, np.nan])
    suggested, at_min, min_loss = suggest_lr(lrs, loss, safety_factor=2.0)
    assert at_min == pytest.approx(lrs[5]) and min_loss == 1.0
    assert suggested == pytest.approx(lrs[5] / 2.0)
    with pytest.raises(ValueError, match="no finite loss"):
        suggest_lr(lrs[:2], [np.nan, np.inf])


def test_range_test_pipeline_on_a_synthetic_curve():
    # A U-shaped noisy loss over an exponential sweep: smoothing + early stop + suggestion together.
    lrs = range_test_lrs(1e-4, 10.0, 200, "exponential")
    rng = np.random.default_rng(0)
    loss = 1.0 + (np.log10(lrs) + 1.5) ** 2 * 0.3 + rng.normal(0, 0.02, lrs.size)
    smoothed = smooth_losses(loss, beta=0.9)
    stop = divergence_index(smoothed, stop_factor=2.0)
    assert stop is not None and lrs[stop] > 0.3  # stops once the loss has climbed well past its best
    suggested, at_min, _ = suggest_lr(lrs[:stop], smoothed[:stop], safety_factor=3.0)
    # the true minimum is at 10^-1.5; smoothing lags a little behind it
    assert 10 ** -1.8 < at_min < 10 ** -1.0
    assert suggested == pytest.approx(at_min / 3.0)
