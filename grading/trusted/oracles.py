"""Oracles the checks share that belong on the grader's side only (``helpers`` ships to
students, and notebook 09 asks them to write standardisation themselves)."""

from __future__ import annotations

import functools

import numpy as np


def standardized(X_train: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
    """Scale every column to mean 0 and standard deviation 1 using the training rows' statistics
    (what scikit-learn's ``StandardScaler().fit(X_train)`` does, without importing it).

    A column that is constant in training (a digit's blank corner pixel, or a constant that
    round-off makes vary a little) is only centred.

    Args:
        X_train: (N, D) training features; the statistics come from these rows only.
        others: (M, D) arrays (validation, test) scaled with the same statistics.

    Returns:
        X_train and each of ``others``, standardised, in the order given (float64).
    """
    X_train = np.asarray(X_train, dtype=np.float64)
    mean, var = X_train.mean(axis=0), X_train.var(axis=0)
    # scikit-learn's test for a constant column: a variance within round-off of zero
    eps, num_rows = np.finfo(np.float64).eps, len(X_train)
    constant = var <= num_rows * eps * var + (num_rows * mean * eps) ** 2
    scale = np.where(constant, 1.0, np.sqrt(var))
    return tuple((np.asarray(X, dtype=np.float64) - mean) / scale for X in (X_train, *others))


@functools.cache
def standardized_digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digits as notebooks 03 and 04 prepare them (their cell ``digits_data``): split with
    seed 1 (validation and test 0.2 each), standardised with the training rows' statistics.

    Returns:
        X_train_std (N_train, 64), y_train (N_train,), X_val_std (N_val, 64), y_val (N_val,).
    """
    from helpers import data

    features, labels = data.load_digits()
    X_train, y_train, X_val, y_val, _, _ = data.split_train_val_test(features, labels, val_fraction=0.2,
                                                                     test_fraction=0.2, seed=1)
    X_train_std, X_val_std = standardized(X_train, X_val)
    return X_train_std, y_train, X_val_std, y_val
