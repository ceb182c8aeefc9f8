"""What people use k-means for, as one call each.

- :class:`Segmenter`: cluster the rows of a table (scaling, one-hot categories, missing
  values) and describe each cluster in the table's own units.
- :class:`AnomalyDetector`: rank rows by their distance to the nearest centre, relative to
  that cluster's spread; flag the top ``contamination`` share.
- :func:`quantize_image`: reduce an image to ``n_colors`` colours (palette = centres).
- :class:`SphericalKMeans`, :func:`top_terms`: documents by cosine similarity, and the terms
  that name each cluster.
"""

from .anomaly import AnomalyDetector
from .image import QuantizedImage, quantize_image
from .segmentation import Segmenter
from .text import SphericalKMeans, top_terms

__all__ = [
    "AnomalyDetector",
    "QuantizedImage",
    "Segmenter",
    "SphericalKMeans",
    "quantize_image",
    "top_terms",
]
