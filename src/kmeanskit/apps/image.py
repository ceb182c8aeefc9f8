"""Colour quantisation: an image redrawn with ``n_colors`` colours, the k-means centres.

The fit runs on the image's *distinct* colours weighted by how many pixels have each, which is
the same objective as fitting every pixel (a weight of m is m copies of a row) on typically a
third of the rows.

Examples
--------
>>> import numpy as np
>>> from kmeanskit.apps import quantize_image
>>> rng = np.random.default_rng(0)
>>> image = rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
>>> result = quantize_image(image, n_colors=4, random_state=0)
>>> result.image.shape, len(np.unique(result.image.reshape(-1, 3), axis=0))
((32, 32, 3), 4)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class QuantizedImage:
    """The result of :func:`quantize_image`.

    Attributes
    ----------
    image : (H, W, 3) uint8, the image drawn with the palette.
    palette : (n_colors, 3) uint8, the centres rounded to colours.
    labels : (H, W) int32, the palette index of every pixel.
    n_colors_before : int, distinct colours in the original.
    psnr : float, peak signal-to-noise ratio against the original, in dB (inf if identical).
    """

    image: np.ndarray
    palette: np.ndarray
    labels: np.ndarray
    n_colors_before: int
    psnr: float

    def save(self, path: str | Path) -> Path:
        """Write the image; PNG and GIF are stored with the palette (one byte per pixel)."""
        Image = _pillow()
        path = Path(path)
        if path.suffix.lower() in (".png", ".gif") and len(self.palette) <= 256:
            out = Image.fromarray(self.labels.astype(np.uint8), mode="P")
            out.putpalette(self.palette.astype(np.uint8).ravel().tolist())
        else:
            out = Image.fromarray(self.image, mode="RGB")
        out.save(path)
        return path


def _pillow():
    try:
        import PIL.Image
    except ImportError:
        raise ImportError(
            "reading and writing images needs Pillow: pip install 'kmeanskit[io]'"
        ) from None
    return PIL.Image


def read_image(image) -> np.ndarray:
    """An (H, W, 3) uint8 array from a path, a PIL image or an array (alpha is dropped;
    float arrays are read as values in [0, 1])."""
    if isinstance(image, (str, Path)):
        Image = _pillow()
        path = Path(image)
        if not path.is_file():
            raise FileNotFoundError(f"no image at {path}")
        try:
            with Image.open(path) as opened:
                return np.asarray(opened.convert("RGB"))
        except (Image.UnidentifiedImageError, OSError):
            raise ValueError(f"{path} is not an image Pillow can read.") from None
    if hasattr(image, "convert") and hasattr(image, "mode"):  # a PIL image
        return np.asarray(image.convert("RGB"))
    array = np.asarray(image)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ValueError(f"expected an (H, W, 3) or (H, W, 4) image; got shape {array.shape}.")
    array = array[:, :, :3]
    if array.dtype.kind == "f":
        if not np.isfinite(array).all():
            raise ValueError("the image contains NaN or infinity.")
        array = np.clip(np.rint(array * 255.0), 0, 255)
    return array.astype(np.uint8)


def psnr(original: np.ndarray, approximation: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two uint8 images, in dB."""
    mse = np.mean((original.astype(np.float64) - approximation.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10.0 * np.log10(255.0**2 / mse))


def quantize_image(
    image, n_colors: int = 16, *, random_state: int | None = 0, init: str = "k-means++"
) -> QuantizedImage:
    """Redraw ``image`` with the ``n_colors`` colours k-means finds among its pixels.

    Parameters
    ----------
    image : path, PIL image, or (H, W, 3|4) array (uint8, or float in [0, 1])
    n_colors : int, default=16
        At most the number of distinct colours in the image.
    random_state : int or None, default=0
    init : str, default="k-means++"
        Seeding of the fit (see :class:`kmeanskit.KMeans`).

    Returns
    -------
    QuantizedImage

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((4, 4, 3), dtype=np.uint8); image[:2] = 200
    >>> r = quantize_image(image, n_colors=2)
    >>> r.n_colors_before, r.psnr
    (2, inf)
    """
    from .. import KMeans

    pixels = read_image(image)
    h, w, _ = pixels.shape
    flat = pixels.reshape(-1, 3)
    packed = (flat[:, 0].astype(np.uint32) << 16) | (flat[:, 1].astype(np.uint32) << 8) | flat[:, 2]
    codes, inverse, counts = np.unique(packed, return_inverse=True, return_counts=True)
    colours = np.stack([(codes >> 16) & 255, (codes >> 8) & 255, codes & 255], axis=1)
    if not 1 <= n_colors <= len(codes):
        raise ValueError(
            f"n_colors must be between 1 and the image's {len(codes)} distinct colours; "
            f"got {n_colors}."
        )
    km = KMeans(n_colors, init=init, random_state=random_state)
    km.fit(colours.astype(np.float32) / 255.0, sample_weight=counts.astype(np.float64))
    palette = np.clip(np.rint(km.cluster_centers_ * 255.0), 0, 255).astype(np.uint8)
    labels = km.labels_[inverse.ravel()].reshape(h, w)
    quantized = palette[labels]
    return QuantizedImage(quantized, palette, labels, len(codes), psnr(pixels, quantized))
