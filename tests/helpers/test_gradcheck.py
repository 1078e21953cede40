"""helpers.gradcheck against gradients known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import gradcheck


def test_rel_error_known_values() -> None:
    assert gradcheck.rel_error(1.0, 1.0) == 0.0
    assert gradcheck.rel_error(1.0, 3.0) == pytest.approx(0.5)  # |1-3| / (1+3)
    # Elementwise maximum, not a mean or a norm ratio.
    x = np.array([1.0, 2.0, 10.0])
    y = np.array([1.0, 2.0, 30.0])
    assert gradcheck.rel_error(x, y) == pytest.approx(0.5)
    assert isinstance(gradcheck.rel_error(x, y), float)


def test_rel_error_floor_near_zero() -> None:
    assert gradcheck.rel_error(np.zeros(3), np.zeros(3)) == 0.0
    # Denominator is floored at 1e-8: 1e-9 / 1e-8 = 0.1, not 1.0.
    assert gradcheck.rel_error(0.0, 1e-9) == pytest.approx(0.1)


def test_numerical_gradient_of_cubic_sum() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    grad = gradcheck.eval_numerical_gradient(lambda z: float(np.sum(z**3)), x)
    assert grad.shape == x.shape
    assert gradcheck.rel_error(grad, 3 * x**2) < 1e-7  # truncation error h**2 * f'''/6


def test_numerical_gradient_of_quadratic_form() -> None:
    rng = np.random.default_rng(1)
    A = rng.normal(size=(5, 5))
    x = rng.normal(size=5)
    grad = gradcheck.eval_numerical_gradient(lambda z: float(z @ A @ z), x)
    assert gradcheck.rel_error(grad, (A + A.T) @ x) < 1e-8


def test_numerical_gradient_restores_x_and_probes_in_place() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3))
    original = x.copy()
    # CS231n-style closure: ignores its argument and reads x, so x must be probed in place.
    grad = gradcheck.eval_numerical_gradient(lambda _: float(np.sum(np.sin(x))), x)
    assert np.array_equal(x, original)
    assert gradcheck.rel_error(grad, np.cos(x)) < 1e-8


def test_numerical_gradient_of_zero_dim_array() -> None:
    x = np.array(2.0)
    grad = gradcheck.eval_numerical_gradient(lambda z: float(z**2), x)
    assert grad.shape == ()
    assert grad == pytest.approx(4.0)


def test_numerical_gradient_verbose_prints_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    gradcheck.eval_numerical_gradient(lambda z: float(np.sum(z)), np.zeros(2), verbose=True)
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 2
    assert captured.err == ""


def test_numerical_gradient_array_of_matmul() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 3))
    W = rng.normal(size=(3, 2))
    df = rng.normal(size=(4, 2))
    grad = gradcheck.eval_numerical_gradient_array(lambda z: z @ W, x, df)
    assert grad.shape == x.shape
    assert gradcheck.rel_error(grad, df @ W.T) < 1e-8


def test_numerical_gradient_array_elementwise_and_restores() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 3))
    original = x.copy()
    df = rng.normal(size=(3, 3))
    grad = gradcheck.eval_numerical_gradient_array(np.tanh, x, df)
    assert np.array_equal(x, original)
    assert gradcheck.rel_error(grad, df * (1 - np.tanh(x) ** 2)) < 1e-8


def test_numerical_gradient_array_when_f_returns_a_view() -> None:
    # The identity returns x itself: without copying f's output, f(x+h) - f(x-h) would be 0.
    x = np.arange(4.0)
    df = np.array([1.0, -2.0, 3.0, 0.5])
    grad = gradcheck.eval_numerical_gradient_array(lambda z: z, x, df)
    assert gradcheck.rel_error(grad, df) < 1e-8


@pytest.mark.parametrize("array_valued", [False, True])
def test_x_is_restored_even_when_f_raises(array_valued):
    """Student closures probe the caller's array; a crash mid-probe must not leave it perturbed."""
    x = np.array([1.0, 2.0, 3.0])
    calls = {"n": 0}

    def f(z):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ValueError("student bug")
        return z * 2 if array_valued else float(np.sum(z))

    with pytest.raises(ValueError, match="student bug"):
        if array_valued:
            gradcheck.eval_numerical_gradient_array(f, x, np.ones(3))
        else:
            gradcheck.eval_numerical_gradient(f, x)
    assert np.array_equal(x, [1.0, 2.0, 3.0])
