"""Course data: the deck's toy generators, scikit-learn's shipped sets and an IDX reader.

Nothing here downloads. Generated data is deterministic per ``seed``
(``np.random.default_rng(seed)``). Fashion-MNIST / MNIST are read from disk when present
(see ``load_idx_dataset``); otherwise ``DatasetNotFoundError`` says where to put them.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Mapping

import numpy as np

__all__ = [
    "DatasetNotFoundError",
    "IDXFormatError",
    "linear_regression_data",
    "load_breast_cancer",
    "load_diabetes",
    "load_digits",
    "load_idx_dataset",
    "load_iris",
    "load_sample_images",
    "load_text",
    "noisy_sine_series",
    "read_idx",
    "sine_data",
    "sliding_windows",
    "spam_toy_data",
    "split_train_val_test",
    "two_class_points",
]

# --------------------------------------------------------------------------- generators


def linear_regression_data(
    num_points: int = 1000,
    weight: float = 0.1,
    bias: float = 0.3,
    x_std: float = 0.55,
    noise_std: float = 0.03,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The deck's linear regression set: ``y = weight * x + bias + noise``.

    ``x ~ N(0, x_std)``, ``noise ~ N(0, noise_std)`` (the deck: 0.1, 0.3, 0.55, 0.03).

    Returns:
        x: (N,) float64 inputs.
        y: (N,) float64 targets.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, x_std, size=num_points)
    y = weight * x + bias + rng.normal(0.0, noise_std, size=num_points)
    return x, y


def sine_data(
    num_points: int = 1000, noise_std: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The deck's "one more time" set: ``x ~ N(0, 1)``, ``y = sin(x) + N(0, noise_std)``.

    Returns:
        x: (N,) float64 inputs.
        y: (N,) float64 targets.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, size=num_points)
    y = np.sin(x) + rng.normal(0.0, noise_std, size=num_points)
    return x, y


def noisy_sine_series(
    num_steps: int = 1200, period: float = 50.0, noise_std: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A sampled sine wave with Gaussian measurement noise, for forecasting.

    ``clean[t] = sin(2 pi t / period)`` and ``series[t] = clean[t] + N(0, noise_std)`` for
    ``t = 0 .. num_steps - 1``.

    Returns:
        series: (num_steps,) float64 noisy observations.
        clean: (num_steps,) float64 noise-free values (the truth a forecast is judged by).
    """
    if num_steps < 1 or period <= 0 or noise_std < 0:
        raise ValueError(
            "need num_steps >= 1, period > 0 and noise_std >= 0, "
            f"got {num_steps}, {period} and {noise_std}"
        )
    rng = np.random.default_rng(seed)
    clean = np.sin(2.0 * np.pi * np.arange(num_steps) / period)
    return clean + rng.normal(0.0, noise_std, size=num_steps), clean


def sliding_windows(
    series: np.ndarray, window: int, horizon: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Cut a series into (past window, value ``horizon`` steps later) pairs.

    Pair m reads ``series[m : m + window]`` and targets ``series[m + window + horizon - 1]``.

    Args:
        series: (T,) or (T, F) values over time.
        window: number of past steps each input holds (>= 1).
        horizon: how many steps after the window the target lies (1 = the next value).

    Returns:
        X: (M, window, F) inputs (F = 1 for a 1-D series), M = T - window - horizon + 1.
        y: (M,) targets for a 1-D series, (M, F) otherwise.
    """
    values = np.asarray(series, dtype=np.float64)
    if values.ndim not in (1, 2):
        raise ValueError(f"series must have shape (T,) or (T, F), got {values.shape}")
    if window < 1 or horizon < 1:
        raise ValueError(f"window and horizon must be at least 1, got {window} and {horizon}")
    num_pairs = len(values) - window - horizon + 1
    if num_pairs < 1:
        raise ValueError(
            f"a series of {len(values)} steps is too short for window {window} and horizon {horizon}"
        )
    steps = values[:, None] if values.ndim == 1 else values
    # (M, F, window) view -> (M, window, F) copy, so callers may modify it freely.
    X = np.lib.stride_tricks.sliding_window_view(steps[: num_pairs + window - 1], window, axis=0)
    X = np.ascontiguousarray(X.transpose(0, 2, 1))
    y = values[window + horizon - 1 :]
    return X, y.copy()


# True boundary of spam_toy_data: spam when dollars + 0.5 * length - 6 > 0.
SPAM_WEIGHTS = (1.0, 0.5)
SPAM_BIAS = -6.0
SPAM_SCORE_NOISE = 0.5


def spam_toy_data(num_points: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The deck's logistic-regression intuition: is an email spam?

    Feature 0 is the number of '$' signs (a count 0, 1, 2, ...), feature 1 the email length
    in hundreds of characters (0.5 to 10). An email is spam (1) when the score
    ``1.0 * dollars + 0.5 * length - 6 + N(0, 0.5)`` is positive, so the classes are
    linearly separable up to a little noise near the line ``dollars + 0.5 * length = 6``.

    Returns:
        X: (N, 2) float64 features ``[dollars, length]``.
        y: (N,) int64 labels, 1 = spam, 0 = not spam.
    """
    rng = np.random.default_rng(seed)
    # A per-email rate spreads the counts from "no $ at all" to "full of $".
    dollars = rng.poisson(lam=rng.uniform(0.0, 8.0, size=num_points)).astype(np.float64)
    length = rng.uniform(0.5, 10.0, size=num_points)
    score = (
        SPAM_WEIGHTS[0] * dollars
        + SPAM_WEIGHTS[1] * length
        + SPAM_BIAS
        + rng.normal(0.0, SPAM_SCORE_NOISE, size=num_points)
    )
    X = np.column_stack([dollars, length])
    y = (score > 0).astype(np.int64)
    return X, y


def two_class_points(
    num_points_per_class: int = 50, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two overlapping 2-D blobs for the kNN lecture (label 0 = red, 1 = green).

    Red points come from ``N((-1, -1), 1)``, green from ``N((1, 1), 1)``: they overlap a
    little, so the choice of k matters near the middle.

    Returns:
        X: (2n, 2) float64 points, the first n red, the next n green.
        y: (2n,) int64 labels.
    """
    rng = np.random.default_rng(seed)
    red = rng.normal(loc=(-1.0, -1.0), scale=1.0, size=(num_points_per_class, 2))
    green = rng.normal(loc=(1.0, 1.0), scale=1.0, size=(num_points_per_class, 2))
    X = np.concatenate([red, green])
    y = np.repeat(np.array([0, 1], dtype=np.int64), num_points_per_class)
    return X, y


# --------------------------------------------------------------------------- scikit-learn sets


def load_digits(as_images: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 handwritten digits (shipped with the package).

    Returns:
        X: (1797, 64) float64 pixel values 0..16, or (1797, 8, 8) when ``as_images``.
        y: (1797,) int64 digit labels 0..9.
    """
    from sklearn import datasets

    bunch = datasets.load_digits()
    X = np.asarray(bunch.images if as_images else bunch.data, dtype=np.float64)
    return X, np.asarray(bunch.target, dtype=np.int64)


def load_iris() -> tuple[np.ndarray, np.ndarray]:
    """Iris flowers. Returns X (150, 4) float64 and y (150,) int64 classes 0..2."""
    from sklearn import datasets

    bunch = datasets.load_iris()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)


def load_breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    """Wisconsin breast cancer. Returns X (569, 30) float64 and y (569,) int64 (1 = benign)."""
    from sklearn import datasets

    bunch = datasets.load_breast_cancer()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)


def load_wine() -> tuple[np.ndarray, np.ndarray]:
    """Wine recognition (13 chemical features on very different scales: hue ~1, proline ~1000).

    Returns X (178, 13) float64 and y (178,) int64 cultivars 0..2.
    """
    from sklearn import datasets

    bunch = datasets.load_wine()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)


def load_diabetes() -> tuple[np.ndarray, np.ndarray]:
    """Diabetes regression set. Returns X (442, 10) float64 (scaled) and y (442,) float64."""
    from sklearn import datasets

    bunch = datasets.load_diabetes()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.float64)


def load_sample_images() -> list[np.ndarray]:
    """scikit-learn's two sample photos (china, flower) as a list of uint8 (427, 640, 3) arrays."""
    from sklearn import datasets

    return [np.asarray(image, dtype=np.uint8) for image in datasets.load_sample_images().images]


# --------------------------------------------------------------------------- shipped texts

#: Texts shipped inside this package (``helpers/texts/<name>.txt``; sources in ``helpers/texts/SOURCES.md``).
TEXT_NAMES = ("coriolanus",)


def load_text(name: str = "coriolanus") -> str:
    """A public-domain text shipped with the ``helpers`` package, for character-level models.

    ``"coriolanus"``: the opening of Shakespeare's *Coriolanus* (Act 1, scenes 1-9), the first
    31,742 characters of Karpathy's "tiny Shakespeare" (char-rnn, 2015): 58 distinct characters,
    ASCII only, lines ending in ``"\\n"``.

    Returns:
        The whole text as one ``str``.

    Raises:
        ValueError: for a name that is not in ``TEXT_NAMES``.
    """
    if name not in TEXT_NAMES:
        raise ValueError(f"unknown text {name!r}: choose one of {', '.join(TEXT_NAMES)}")
    from importlib import resources

    return resources.files("helpers").joinpath("texts", f"{name}.txt").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- splitting


def split_train_val_test(
    X: np.ndarray,
    y: np.ndarray,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle once (deterministic per seed) and cut into train / validation / test.

    Sizes are ``round(N * test_fraction)`` for test, ``round(N * val_fraction)`` for
    validation and the rest for training.

    Args:
        X: (N, ...) features.
        y: (N, ...) targets.

    Returns:
        X_train, y_train, X_val, y_val, X_test, y_test (rows of X and y, same order).
    """
    X, y = np.asarray(X), np.asarray(y)
    num_samples = len(X)
    if len(y) != num_samples:
        raise ValueError(f"X has {num_samples} rows but y has {len(y)}: they must match")
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError(
            "val_fraction and test_fraction must be in [0, 1) and sum to less than 1, "
            f"got {val_fraction} and {test_fraction}"
        )
    order = np.random.default_rng(seed).permutation(num_samples)
    num_test = int(round(num_samples * test_fraction))
    num_val = int(round(num_samples * val_fraction))
    test_idx = order[:num_test]
    val_idx = order[num_test : num_test + num_val]
    train_idx = order[num_test + num_val :]
    return X[train_idx], y[train_idx], X[val_idx], y[val_idx], X[test_idx], y[test_idx]



# --------------------------------------------------------------------------- IDX files


class IDXFormatError(ValueError):
    """An IDX file is truncated, has extra bytes, a bad magic number or unexpected sizes."""


class DatasetNotFoundError(FileNotFoundError):
    """No copy of the dataset's files was found in any of the searched places."""


# IDX type byte -> big-endian numpy dtype (http://yann.lecun.com/exdb/mnist/ format).
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as handle:
        raw = handle.read()
    # Decide by content, not by name: a renamed .gz (or an unzipped .gz) still loads.
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise IDXFormatError(f"{path}: corrupt gzip data ({err}); copy the file again") from err
    return raw


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (raw or gzip-compressed) into a numpy array.

    The header is two zero bytes, a type byte, the number of dimensions, then one
    big-endian uint32 size per dimension; the data must fill exactly those sizes.

    Returns:
        array of shape (d0, d1, ...) in native byte order; uint8 for MNIST-style files.

    Raises:
        FileNotFoundError: the file does not exist.
        IDXFormatError: bad magic number, unknown type, truncated or oversized data.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise IDXFormatError(f"{path}: only {len(raw)} bytes, too short for an IDX header")
    zero0, zero1, type_code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero0 != 0 or zero1 != 0 or type_code not in _IDX_DTYPES or ndim == 0:
        raise IDXFormatError(
            f"{path}: bad IDX magic number 0x{raw[:4].hex()} (expected 0x0000TTDD with a known "
            "type byte TT, e.g. 0x00000801 for labels or 0x00000803 for images): "
            "this is not an IDX file"
        )
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise IDXFormatError(f"{path}: truncated header ({len(raw)} of {header_size} bytes)")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[type_code]
    expected_bytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    data_bytes = len(raw) - header_size
    if data_bytes != expected_bytes:
        problem = "truncated" if data_bytes < expected_bytes else "has extra bytes"
        raise IDXFormatError(
            f"{path}: header says shape {shape} ({expected_bytes} data bytes) but the file "
            f"holds {data_bytes}: the file is {problem}; copy it again"
        )
    array = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


_IDX_DATASETS = ("mnist", "fashion-mnist")
_SPLIT_PREFIX = {"train": "train", "test": "t10k"}
STANDARD_COUNTS = {"train": 60000, "test": 10000}

# Module-level so that tests can point them at empty folders.
REPO_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEBIAN_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")


def _keras_datasets_dir() -> Path:
    """Where Keras caches its downloads ($KERAS_HOME or ~/.keras, then datasets/)."""
    keras_home = os.environ.get("KERAS_HOME")
    base = Path(keras_home) if keras_home else Path.home() / ".keras"
    return base / "datasets"


def idx_file_names(split: str) -> tuple[str, str]:
    """Standard names (without .gz) of the images and labels files of a split."""
    prefix = _SPLIT_PREFIX[split]
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def dataset_search_dirs(
    name: str, data_dir: str | os.PathLike[str] | None = None
) -> list[tuple[Path | None, str]]:
    """The places ``load_idx_dataset`` searches, in order, as ``(folder or None, label)``.

    ``None`` stands for a place that is not configured (e.g. ``$COURSE_DATA_DIR`` unset).
    """
    places: list[tuple[Path | None, str]] = []
    if data_dir is not None:
        places.append((Path(data_dir), "data_dir argument"))
    places.append((REPO_DATA_DIR / name, "the course repository's data folder"))
    course_dir = os.environ.get("COURSE_DATA_DIR")
    places.append(
        (Path(course_dir) / name if course_dir else None, "$COURSE_DATA_DIR/" + name)
    )
    if name == "fashion-mnist":
        places.append((DEBIAN_FASHION_MNIST_DIR, "Debian package dataset-fashion-mnist"))
        # Keras keeps Fashion-MNIST as the four IDX .gz files; MNIST as mnist.npz (below).
        places.append((_keras_datasets_dir() / name, "Keras download cache"))
    return places


def _load_keras_mnist_npz(split: str) -> tuple[np.ndarray, np.ndarray] | None:
    """MNIST from Keras's cache file ``mnist.npz`` (x_train, y_train, x_test, y_test), if present."""
    path = _keras_datasets_dir() / "mnist.npz"
    if not path.is_file():
        return None
    key = "train" if split == "train" else "test"
    with np.load(path) as archive:
        return archive[f"x_{key}"].astype(np.uint8), archive[f"y_{key}"].astype(np.uint8)


def _find_file(folder: Path, stem: str) -> Path | None:
    # Some mirrors name the files "train-images.idx3-ubyte"; accept both spellings.
    dotted = stem.replace("-idx", ".idx")
    for candidate in (stem, stem + ".gz", dotted, dotted + ".gz"):
        path = folder / candidate
        if path.is_file():
            return path
    return None


def _check_idx_arrays(
    images: np.ndarray,
    labels: np.ndarray,
    images_path: Path,
    labels_path: Path,
    title: str,
    split: str,
    expected_count: int,
) -> None:
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise IDXFormatError(
            f"{images_path}: expected uint8 images of shape (N, 28, 28) but found "
            f"{images.dtype} {images.shape}: is this an images file of {title}?"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise IDXFormatError(
            f"{labels_path}: expected uint8 labels of shape (N,) but found "
            f"{labels.dtype} {labels.shape}: is this a labels file of {title}?"
        )
    checks = ((images_path, len(images), "images"), (labels_path, len(labels), "labels"))
    for path, count, what in checks:
        if count != expected_count:
            raise IDXFormatError(
                f"{path}: holds {count} {what} but the {title} {split} split has "
                f"{expected_count}: the file is from another split or dataset, or incomplete; "
                "copy it again"
            )
    if labels.size and int(labels.max()) > 9:
        raise IDXFormatError(f"{labels_path}: labels go up to {int(labels.max())}, expected 0..9")


def load_idx_dataset(
    name: str = "fashion-mnist",
    split: str = "train",
    data_dir: str | os.PathLike[str] | None = None,
    expected_counts: Mapping[str, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST or Fashion-MNIST from IDX files on disk (never downloads).

    Searches, in order: ``data_dir``, ``<repo>/data/<name>``, ``$COURSE_DATA_DIR/<name>``,
    ``/usr/share/datasets/fashion-mnist`` (Debian package dataset-fashion-mnist; only for
    fashion-mnist) and the Keras cache (``$KERAS_HOME`` or ``~/.keras``): ``datasets/fashion-mnist/``
    (IDX files) or ``datasets/mnist.npz``. The first place holding both the images and labels
    of the split wins; IDX files may be gzipped or not.

    Args:
        name: "mnist" or "fashion-mnist".
        split: "train" (60000 samples) or "test" (10000 samples, files ``t10k-...``).
        data_dir: an extra folder to search first (it holds the files directly).
        expected_counts: samples per split to verify; None means the standard
            ``{"train": 60000, "test": 10000}`` (tests pass small counts).

    Returns:
        images: (N, 28, 28) uint8.
        labels: (N,) uint8, classes 0..9.

    Raises:
        DatasetNotFoundError: no searched place has the files; the message lists them all.
        IDXFormatError: a file was found but is corrupt, truncated or has the wrong size.
    """
    if name not in _IDX_DATASETS:
        raise ValueError(f"name must be one of {_IDX_DATASETS}, got {name!r}")
    if split not in _SPLIT_PREFIX:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    counts = dict(STANDARD_COUNTS if expected_counts is None else expected_counts)
    images_stem, labels_stem = idx_file_names(split)
    title = "Fashion-MNIST" if name == "fashion-mnist" else "MNIST"

    report: list[str] = []
    for folder, label in dataset_search_dirs(name, data_dir):
        if folder is None:
            report.append(f"  - {label}: not set")
            continue
        images_path = _find_file(folder, images_stem)
        labels_path = _find_file(folder, labels_stem)
        if images_path is not None and labels_path is not None:
            images, labels = read_idx(images_path), read_idx(labels_path)
            _check_idx_arrays(
                images, labels, images_path, labels_path, title, split, counts[split]
            )
            return images, labels
        if not folder.is_dir():
            status = "folder does not exist"
        elif images_path is None and labels_path is None:
            status = "no IDX files"
        else:
            missing = images_stem if images_path is None else labels_stem
            status = f"{missing}[.gz] is missing"
        report.append(f"  - {folder} ({label}): {status}")

    if name == "mnist":
        cached = _load_keras_mnist_npz(split)
        keras_npz = _keras_datasets_dir() / "mnist.npz"
        if cached is not None:
            images, labels = cached
            _check_idx_arrays(images, labels, keras_npz, keras_npz, title, split, counts[split])
            return images, labels
        report.append(f"  - {keras_npz} (Keras download cache): file does not exist")

    target = REPO_DATA_DIR / name
    debian_tip = (
        "\nOn Debian/Ubuntu, `sudo apt install dataset-fashion-mnist` puts the files in "
        f"{DEBIAN_FASHION_MNIST_DIR}."
        if name == "fashion-mnist"
        else ""
    )
    raise DatasetNotFoundError(
        f"{title} ({split} split) was not found. Searched, in order:\n"
        + "\n".join(report)
        + f"\nTo fix it, copy the two files\n  {images_stem}.gz\n  {labels_stem}.gz\n"
        f"(gzipped or not) into {target}/ , or into <dir>/{name}/ and set "
        f"COURSE_DATA_DIR=<dir>, or pass data_dir=<folder holding them>."
        f"{debian_tip}\nThe course never downloads data at run time."
    )
