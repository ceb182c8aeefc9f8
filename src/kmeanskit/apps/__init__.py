"""What people use k-means for, as one call each.

- :class:`Segmenter`: cluster the rows of a table (scaling, one-hot categories, missing
  values) and describe each cluster in the table's own units.
- :class:`AnomalyDetector`: rank rows by their distance to the nearest centre, relative to
  that cluster's spread; flag the top ``contamination`` share.
- :func:`quantize_image`: reduce an image to ``n_colors`` colours (palette = centres).
"""

from .anomaly import AnomalyDetector
from .image import QuantizedImage, quantize_image
from .segmentation import Segmenter

__all__ = ["AnomalyDetector", "QuantizedImage", "Segmenter", "quantize_image"]
