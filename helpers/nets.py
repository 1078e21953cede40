"""Notebook 03's two-layer network, for the notebooks after it (notebook 04 trains it with
every optimizer). Students write these in notebook 03; later notebooks import them from here
so that nobody re-types them (and a bug in one's own notebook 03 does not follow one around).

The network: affine -> ReLU -> affine -> softmax cross-entropy, L2 on the weights.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

__all__ = ["init_two_layer_net", "iterate_minibatches", "two_layer_net_loss", "accuracy"]


def init_two_layer_net(num_features: int, hidden_size: int, num_classes: int,
                       rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Xavier-uniform weights (W1 drawn first, then W2, from ``rng``) and zero biases.

    Returns:
        params: "W1" (D, H), "b1" (H,), "W2" (H, C), "b2" (C,), float64.
    """
    def xavier(fan_in: int, fan_out: int) -> np.ndarray:
        limit = np.sqrt(6.0) / np.sqrt(fan_in + fan_out)
        return rng.uniform(-limit, limit, size=(fan_in, fan_out))

    W1 = xavier(num_features, hidden_size)
    W2 = xavier(hidden_size, num_classes)
    return {"W1": W1, "b1": np.zeros(hidden_size), "W2": W2, "b2": np.zeros(num_classes)}


def two_layer_net_loss(params: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray | None = None,
                       reg: float = 0.0):
    """Scores, or the loss and its gradients, of the two-layer net.

    Args:
        params: "W1" (D, H), "b1" (H,), "W2" (H, C), "b2" (C,).
        X: inputs, (N, D).
        y: integer labels (N,), or None for the scores only.
        reg: L2 strength; the loss adds 0.5 * reg * (sum(W1**2) + sum(W2**2)).

    Returns:
        scores (N, C) when ``y`` is None; else (loss, grads): the mean cross-entropy plus the L2
        term as a python float, and a dict of gradients with the keys and shapes of ``params``.
    """
    hidden = X @ params["W1"] + params["b1"]
    activated = np.maximum(hidden, 0.0)
    scores = activated @ params["W2"] + params["b2"]
    if y is None:
        return scores
    num_samples = X.shape[0]
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    rows = np.arange(num_samples)
    loss = -np.mean(log_probs[rows, y]) + 0.5 * reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    dscores /= num_samples
    dhidden = (dscores @ params["W2"].T) * (hidden > 0)
    grads = {
        "W1": X.T @ dhidden + reg * params["W1"],
        "b1": dhidden.sum(axis=0),
        "W2": activated.T @ dscores + reg * params["W2"],
        "b2": dscores.sum(axis=0),
    }
    return float(loss), grads


def iterate_minibatches(X: np.ndarray, y: np.ndarray, batch_size: int,
                        rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(X_batch, y_batch) pairs covering every sample once, in the order ``rng.permutation(N)``
    drawn once per call; the last batch may be smaller."""
    order = rng.permutation(X.shape[0])
    for start in range(0, X.shape[0], batch_size):
        batch = order[start:start + batch_size]
        yield X[batch], y[batch]


def accuracy(params: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows of ``X`` (N, D) whose highest score is the label ``y`` (N,)."""
    return float(np.mean(np.argmax(two_layer_net_loss(params, X), axis=1) == y))
