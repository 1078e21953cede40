"""helpers.data: deterministic generators with the deck's statistics, splits and the IDX loader."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from helpers import data

# --------------------------------------------------------------------------- generators


@pytest.mark.parametrize(
    "generator",
    [data.linear_regression_data, data.sine_data, data.spam_toy_data, data.two_class_points,
     data.noisy_sine_series],
)
def test_generators_are_deterministic_per_seed(generator) -> None:
    first, second, other = generator(seed=3), generator(seed=3), generator(seed=4)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


def test_linear_regression_data_matches_deck() -> None:
    x, y = data.linear_regression_data()
    assert x.shape == (1000,) and y.shape == (1000,)
    assert x.dtype == np.float64 and y.dtype == np.float64
    slope, intercept = np.polyfit(x, y, 1)
    assert slope == pytest.approx(0.1, abs=0.01)
    assert intercept == pytest.approx(0.3, abs=0.005)
    assert x.mean() == pytest.approx(0.0, abs=0.06)
    assert x.std() == pytest.approx(0.55, rel=0.08)
    assert np.std(y - (0.1 * x + 0.3)) == pytest.approx(0.03, rel=0.1)


def test_linear_regression_data_parameters() -> None:
    x, y = data.linear_regression_data(
        num_points=500, weight=-2.0, bias=1.0, noise_std=0.01, seed=1
    )
    assert x.shape == (500,)
    slope, intercept = np.polyfit(x, y, 1)
    assert slope == pytest.approx(-2.0, abs=0.01)
    assert intercept == pytest.approx(1.0, abs=0.01)


def test_sine_data_matches_deck() -> None:
    x, y = data.sine_data()
    assert x.shape == (1000,) and y.shape == (1000,) and y.dtype == np.float64
    assert x.std() == pytest.approx(1.0, rel=0.08)
    assert np.std(y - np.sin(x)) == pytest.approx(0.1, rel=0.1)
    x_clean, y_clean = data.sine_data(noise_std=0.0)
    np.testing.assert_allclose(y_clean, np.sin(x_clean))


def test_noisy_sine_series_is_a_sine_plus_noise() -> None:
    series, clean = data.noisy_sine_series(num_steps=2000, period=40.0, noise_std=0.2)
    assert series.shape == clean.shape == (2000,)
    np.testing.assert_allclose(clean[:41:10], [0.0, 1.0, 0.0, -1.0, 0.0], atol=1e-12)
    assert np.std(series - clean) == pytest.approx(0.2, rel=0.05)
    np.testing.assert_array_equal(data.noisy_sine_series(10, noise_std=0.0)[0], data.noisy_sine_series(10)[1])
    with pytest.raises(ValueError, match="period"):
        data.noisy_sine_series(period=0)


def test_sliding_windows_pairs_past_with_future() -> None:
    X, y = data.sliding_windows(np.arange(10.0), window=3)
    assert X.shape == (7, 3, 1) and y.shape == (7,)
    np.testing.assert_array_equal(X[0, :, 0], [0, 1, 2])
    np.testing.assert_array_equal(X[-1, :, 0], [6, 7, 8])
    np.testing.assert_array_equal(y, np.arange(3.0, 10.0))
    X, y = data.sliding_windows(np.arange(10.0), window=3, horizon=2)
    assert len(X) == len(y) == 6 and y[0] == 4.0 and X[-1, -1, 0] == 7.0 and y[-1] == 9.0
    X, y = data.sliding_windows(np.arange(20.0).reshape(10, 2), window=4)
    assert X.shape == (6, 4, 2) and y.shape == (6, 2)
    np.testing.assert_array_equal(X[1], [[2, 3], [4, 5], [6, 7], [8, 9]])
    np.testing.assert_array_equal(y[1], [10, 11])
    X[0, 0, 0] = 99.0  # a copy, not a view of the caller's series
    assert data.sliding_windows(np.arange(20.0).reshape(10, 2), window=4)[0][0, 0, 0] == 0.0


@pytest.mark.parametrize(
    "args, message",
    [((np.arange(5.0), 5), "too short"), ((np.arange(5.0), 0), "at least 1"),
     ((np.arange(5.0), 2, 0), "at least 1"), ((np.zeros((2, 2, 2)), 1), "shape")],
)
def test_sliding_windows_rejects_bad_input(args, message) -> None:
    with pytest.raises(ValueError, match=message):
        data.sliding_windows(*args)


def test_spam_toy_data_features_and_labels() -> None:
    X, y = data.spam_toy_data()
    assert X.shape == (200, 2) and X.dtype == np.float64
    assert y.shape == (200,) and np.issubdtype(y.dtype, np.integer)
    dollars, length = X[:, 0], X[:, 1]
    assert np.all(dollars >= 0) and np.all(dollars == np.round(dollars))  # counts of '$'
    assert np.all((length >= 0.5) & (length <= 10.0))  # hundreds of characters
    assert set(np.unique(y)) == {0, 1}
    assert 0.3 < y.mean() < 0.7
    # Linearly separable up to a little noise: the noiseless rule explains most labels,
    # and more '$' signs mean more spam.
    rule = (dollars + 0.5 * length - 6 > 0).astype(int)
    assert np.mean(rule == y) >= 0.9
    assert dollars[y == 1].mean() > dollars[y == 0].mean() + 2


def test_two_class_points_for_knn() -> None:
    X, y = data.two_class_points(num_points_per_class=40)
    assert X.shape == (80, 2) and y.shape == (80,)
    np.testing.assert_array_equal(y, [0] * 40 + [1] * 40)  # 0 = red first, then 1 = green
    np.testing.assert_allclose(X[y == 0].mean(axis=0), [-1, -1], atol=0.4)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [1, 1], atol=0.4)
    # Leave-one-out 1-NN separates them well but not perfectly (k should matter).
    distances = np.linalg.norm(X[:, None] - X[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    accuracy = np.mean(y[np.argmin(distances, axis=1)] == y)
    assert 0.75 <= accuracy < 1.0


# --------------------------------------------------------------------------- scikit-learn sets


@pytest.mark.parametrize(
    ("loader", "x_shape", "y_kind"),
    [
        (data.load_digits, (1797, 64), "i"),
        (data.load_iris, (150, 4), "i"),
        (data.load_breast_cancer, (569, 30), "i"),
        (data.load_wine, (178, 13), "i"),
        (data.load_diabetes, (442, 10), "f"),
    ],
)
def test_sklearn_loaders(loader, x_shape, y_kind) -> None:
    X, y = loader()
    assert X.shape == x_shape and X.dtype == np.float64
    assert y.shape == (x_shape[0],) and y.dtype.kind == y_kind


def test_load_digits_as_images() -> None:
    X, y = data.load_digits(as_images=True)
    assert X.shape == (1797, 8, 8)
    np.testing.assert_array_equal(X.reshape(1797, 64), data.load_digits()[0])
    assert set(np.unique(y)) == set(range(10))


def test_load_sample_images() -> None:
    images = data.load_sample_images()
    assert isinstance(images, list) and len(images) == 2
    for image in images:
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[-1] == 3


def test_load_text_ships_the_coriolanus_excerpt() -> None:
    text = data.load_text()
    assert text == data.load_text("coriolanus")
    assert len(text) == 31_742 and text.isascii() and len(set(text)) == 58
    assert text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.\n")
    assert text.endswith("In praises sauced with lies.\n")
    assert "\r" not in text and text.count("MARCIUS:\n") > 30


def test_load_text_is_package_data() -> None:
    """The text is read through importlib.resources and declared as package data (wheel installs)."""
    import tomllib

    from grading.course import REPO_ROOT

    package_data = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "texts/*.txt" in package_data["helpers"]
    for name in data.TEXT_NAMES:
        assert (Path(data.__file__).parent / "texts" / f"{name}.txt").is_file()


def test_load_text_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="coriolanus"):
        data.load_text("hamlet")


# --------------------------------------------------------------------------- split


def test_split_train_val_test_sizes_and_alignment() -> None:
    X = np.arange(100, dtype=np.float64).reshape(100, 1)
    y = np.arange(100) * 10
    X_train, y_train, X_val, y_val, X_test, y_test = data.split_train_val_test(X, y)
    assert (len(X_train), len(X_val), len(X_test)) == (70, 15, 15)
    for features, targets in ((X_train, y_train), (X_val, y_val), (X_test, y_test)):
        np.testing.assert_array_equal(features[:, 0] * 10, targets)  # rows stay paired
    everything = np.concatenate([X_train[:, 0], X_val[:, 0], X_test[:, 0]])
    np.testing.assert_array_equal(np.sort(everything), X[:, 0])  # disjoint and complete
    assert not np.array_equal(X_train[:, 0], np.sort(X_train[:, 0]))  # shuffled


def test_split_train_val_test_is_deterministic() -> None:
    X, y = np.arange(50.0), np.arange(50)
    first = data.split_train_val_test(X, y, seed=1)
    again = data.split_train_val_test(X, y, seed=1)
    other = data.split_train_val_test(X, y, seed=2)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])
    sizes = [len(part) for part in data.split_train_val_test(X, y, 0.2, 0.1)[::2]]
    assert sizes == [35, 10, 5]


def test_split_train_val_test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="rows"):
        data.split_train_val_test(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="fraction"):
        data.split_train_val_test(np.zeros(5), np.zeros(5), val_fraction=0.6, test_fraction=0.5)


# --------------------------------------------------------------------------- IDX


IDX_TYPE_CODES = {np.dtype("u1"): 0x08, np.dtype("i4"): 0x0C, np.dtype("f8"): 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode an array in the IDX format (big-endian header and data)."""
    array = np.asarray(array)
    header = bytes([0, 0, IDX_TYPE_CODES[array.dtype], array.ndim])
    header += np.array(array.shape, dtype=">u4").tobytes()
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, array: np.ndarray, compress: bool | None = None) -> Path:
    """Write ``array`` to ``path``; gzip when the name ends with .gz (or ``compress``)."""
    raw = idx_bytes(array)
    if compress if compress is not None else path.suffix == ".gz":
        raw = gzip.compress(raw)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return path


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize(
    "array",
    [
        np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
        np.array([9, 0, 3], dtype=np.uint8),
        np.array([[-5, 70000], [1, 2]], dtype=np.int32),
        np.array([0.5, -1.25e10], dtype=np.float64),
    ],
)
def test_read_idx_round_trip(tmp_path: Path, suffix: str, array: np.ndarray) -> None:
    path = write_idx(tmp_path / f"x-idx{array.ndim}-ubyte{suffix}", array)
    loaded = data.read_idx(path)
    np.testing.assert_array_equal(loaded, array)
    assert loaded.shape == array.shape
    assert loaded.dtype == array.dtype  # native byte order
    assert loaded.dtype.isnative


def test_read_idx_detects_gzip_by_content(tmp_path: Path) -> None:
    array = np.arange(6, dtype=np.uint8)
    path = write_idx(tmp_path / "labels-without-gz-suffix", array, compress=True)
    np.testing.assert_array_equal(data.read_idx(path), array)


def test_read_idx_rejects_bad_files(tmp_path: Path) -> None:
    good = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))
    cases = {
        "magic": (b"\x01\x02" + good[2:], "magic number"),
        "type": (good[:2] + b"\x07" + good[3:], "magic number"),
        "short": (good[:3], "too short"),
        "header": (good[:8], "truncated header"),
        "truncated": (good[:-1], "truncated"),
        "extra": (good + b"\x00", "extra bytes"),
    }
    for name, (raw, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(raw)
        with pytest.raises(data.IDXFormatError, match=message):
            data.read_idx(path)
    with pytest.raises(FileNotFoundError):
        data.read_idx(tmp_path / "missing")
    assert issubclass(data.IDXFormatError, ValueError)


@pytest.fixture
def isolated_places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point every searched place at empty folders, so real files on this machine don't count."""
    places = {
        "repo": tmp_path / "repo_data",
        "course": tmp_path / "course_data",
        "debian": tmp_path / "debian" / "fashion-mnist",
        "home": tmp_path / "home",
    }
    monkeypatch.setattr(data, "REPO_DATA_DIR", places["repo"])
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST_DIR", places["debian"])
    monkeypatch.setenv("HOME", str(places["home"]))
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.delenv("KERAS_HOME", raising=False)
    return places


def write_split(folder: Path, split: str, num: int, offset: int = 0, gz: bool = True) -> np.ndarray:
    """Write a small IDX images+labels pair; return the labels written."""
    prefix = "train" if split == "train" else "t10k"
    suffix = ".gz" if gz else ""
    rng = np.random.default_rng(num + offset)
    images = rng.integers(0, 256, size=(num, 28, 28), dtype=np.uint8)
    labels = ((np.arange(num) + offset) % 10).astype(np.uint8)
    write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
    return labels


SMALL = {"train": 5, "test": 3}


def test_dataset_not_found_lists_every_place(isolated_places: dict[str, Path]) -> None:
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load_idx_dataset("fashion-mnist", "train")
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert "Fashion-MNIST (train split) was not found" in message
    for place in (
        isolated_places["repo"] / "fashion-mnist",
        isolated_places["debian"],
        isolated_places["home"] / ".keras" / "datasets" / "fashion-mnist",
    ):
        assert str(place) in message
    assert "$COURSE_DATA_DIR/fashion-mnist: not set" in message
    assert "train-images-idx3-ubyte.gz" in message and "train-labels-idx1-ubyte.gz" in message
    assert f"into {isolated_places['repo'] / 'fashion-mnist'}/" in message
    assert "dataset-fashion-mnist" in message
    assert "never downloads" in message


def test_dataset_not_found_mnist_test_split(
    isolated_places: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COURSE_DATA_DIR", str(isolated_places["course"]))
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load_idx_dataset("mnist", "test", data_dir=tmp_path / "given")
    message = str(info.value)
    assert "t10k-images-idx3-ubyte.gz" in message and "t10k-labels-idx1-ubyte.gz" in message
    assert str(tmp_path / "given") in message
    assert str(isolated_places["course"] / "mnist") in message
    assert str(isolated_places["debian"]) not in message  # Debian ships fashion-mnist only
    # Listed in search order.
    order = [message.index(str(p)) for p in (
        tmp_path / "given", isolated_places["repo"] / "mnist", isolated_places["course"] / "mnist",
        isolated_places["home"] / ".keras" / "datasets" / "mnist")]
    assert order == sorted(order)


def test_load_from_data_dir_gzip_and_raw(isolated_places: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    train_labels = write_split(folder, "train", 5, gz=True)
    test_labels = write_split(folder, "test", 3, gz=False)
    images, labels = data.load_idx_dataset("mnist", "train", data_dir=folder, expected_counts=SMALL)
    assert images.shape == (5, 28, 28) and images.dtype == np.uint8
    assert labels.dtype == np.uint8
    np.testing.assert_array_equal(labels, train_labels)
    images, labels = data.load_idx_dataset("mnist", "test", data_dir=folder, expected_counts=SMALL)
    assert images.shape == (3, 28, 28)
    np.testing.assert_array_equal(labels, test_labels)


def test_search_order(
    isolated_places: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    name = "fashion-mnist"
    home_cache = isolated_places["home"] / ".keras" / "datasets" / name

    def loaded_offset(**kwargs) -> int:
        _, labels = data.load_idx_dataset(name, "train", expected_counts=SMALL, **kwargs)
        return int(labels[0])

    write_split(home_cache, "train", 5, offset=5)
    assert loaded_offset() == 5
    write_split(isolated_places["debian"], "train", 5, offset=4)
    assert loaded_offset() == 4
    monkeypatch.setenv("COURSE_DATA_DIR", str(isolated_places["course"]))
    write_split(isolated_places["course"] / name, "train", 5, offset=3)
    assert loaded_offset() == 3
    write_split(isolated_places["repo"] / name, "train", 5, offset=2)
    assert loaded_offset() == 2
    write_split(tmp_path / "given", "train", 5, offset=1)
    assert loaded_offset(data_dir=tmp_path / "given") == 1


def test_keras_home_is_respected(
    isolated_places: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    expected = write_split(tmp_path / "keras_home" / "datasets" / "fashion-mnist", "test", 3)
    _, labels = data.load_idx_dataset("fashion-mnist", "test", expected_counts=SMALL)
    np.testing.assert_array_equal(labels, expected)


def test_keras_mnist_npz_cache_is_read(isolated_places: dict[str, Path]) -> None:
    """Keras caches MNIST as one mnist.npz, not as IDX files."""
    cache = isolated_places["home"] / ".keras" / "datasets"
    with pytest.raises(data.DatasetNotFoundError, match=r"mnist\.npz \(Keras download cache\): file does not exist"):
        data.load_idx_dataset("mnist", "test", expected_counts=SMALL)
    cache.mkdir(parents=True)
    rng = np.random.default_rng(0)
    arrays = {f"x_{k}": rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8) for k, n in SMALL.items()}
    arrays.update({f"y_{k}": (np.arange(n) % 10).astype(np.uint8) for k, n in SMALL.items()})
    np.savez(cache / "mnist.npz", **arrays)
    images, labels = data.load_idx_dataset("mnist", "test", expected_counts=SMALL)
    np.testing.assert_array_equal(images, arrays["x_test"])
    np.testing.assert_array_equal(labels, arrays["y_test"])
    with pytest.raises(data.IDXFormatError):
        data.load_idx_dataset("mnist", "train", expected_counts={"train": 99, "test": SMALL["test"]})


def test_half_present_folder_is_reported_and_skipped(
    isolated_places: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = isolated_places["repo"] / "mnist"
    write_split(folder, "train", 5)
    (folder / "train-labels-idx1-ubyte.gz").unlink()
    missing = r"train-labels-idx1-ubyte\[\.gz\] is missing"
    with pytest.raises(data.DatasetNotFoundError, match=missing):
        data.load_idx_dataset("mnist", "train", expected_counts=SMALL)
    # A complete copy further down the list is still found.
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "course"))
    write_split(tmp_path / "course" / "mnist", "train", 5)
    images, _ = data.load_idx_dataset("mnist", "train", expected_counts=SMALL)
    assert images.shape == (5, 28, 28)


def test_standard_sizes_are_verified(isolated_places: dict[str, Path], tmp_path: Path) -> None:
    write_split(tmp_path / "small", "train", 5)
    wrong_size = "holds 5 images but the MNIST train split has 60000"
    with pytest.raises(data.IDXFormatError, match=wrong_size):
        data.load_idx_dataset("mnist", "train", data_dir=tmp_path / "small")
    with pytest.raises(data.IDXFormatError, match="has 4"):
        data.load_idx_dataset("mnist", "train", data_dir=tmp_path / "small",
                              expected_counts={"train": 4, "test": 3})


def test_mismatched_or_malformed_files(isolated_places: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    write_split(folder, "train", 5)
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.zeros(4, dtype=np.uint8))
    with pytest.raises(data.IDXFormatError, match="holds 4 labels"):
        data.load_idx_dataset("mnist", "train", data_dir=folder, expected_counts=SMALL)
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.full(5, 12, dtype=np.uint8))
    with pytest.raises(data.IDXFormatError, match="labels go up to 12"):
        data.load_idx_dataset("mnist", "train", data_dir=folder, expected_counts=SMALL)
    write_idx(folder / "train-images-idx3-ubyte.gz", np.zeros((5, 28, 27), dtype=np.uint8))
    with pytest.raises(data.IDXFormatError, match=r"\(N, 28, 28\)"):
        data.load_idx_dataset("mnist", "train", data_dir=folder, expected_counts=SMALL)


def test_invalid_name_or_split() -> None:
    with pytest.raises(ValueError, match="name"):
        data.load_idx_dataset("cifar10")
    with pytest.raises(ValueError, match="split"):
        data.load_idx_dataset("mnist", "validation")


@pytest.mark.skipif(
    not Path("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz").exists(),
    reason="Debian package dataset-fashion-mnist is not installed",
)
def test_real_fashion_mnist_test_split_when_installed() -> None:
    images, labels = data.load_idx_dataset(
        "fashion-mnist", "test", data_dir="/usr/share/datasets/fashion-mnist"
    )
    assert images.shape == (10000, 28, 28) and labels.shape == (10000,)
    assert np.bincount(labels).tolist() == [1000] * 10

