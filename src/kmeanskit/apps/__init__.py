"""What people use k-means for, as one call each.

- :class:`Segmenter`: cluster the rows of a table (scaling, one-hot categories, missing
  values) and describe each cluster in the table's own units.
"""

from .segmentation import Segmenter

__all__ = ["Segmenter"]
