"""Text clustering: group short documents by topic and name each group by its top terms.

    python examples/text_clustering.py [OUTPUT_FOLDER]

The bundled 60 sentences on four topics as TF-IDF rows, reduced by latent semantic analysis
(a 5-component truncated SVD) and clustered by cosine similarity with SphericalKMeans (rows and
centres of unit length). Sentences this short share few words, so clustering the raw sparse
TF-IDF rows (which SphericalKMeans also accepts) agrees less with the topics; the script prints
both, and Euclidean KMeans on the raw rows for comparison. Each cluster is named by the highest
mean TF-IDF terms of its members. Writes terms.png to OUTPUT_FOLDER (default: examples-output/).
"""

import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score

from kmeanskit import KMeans
from kmeanskit.apps import SphericalKMeans
from kmeanskit.datasets import load_texts

out = Path(sys.argv[1] if len(sys.argv) > 1 else "examples-output")
out.mkdir(parents=True, exist_ok=True)

texts, topics = load_texts()
vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
tfidf = vectorizer.fit_transform(texts)  # sparse CSR, rows of unit length
lsa = TruncatedSVD(5, random_state=0).fit_transform(tfidf)
km = SphericalKMeans(4, n_init=10, random_state=0).fit(lsa)
raw = SphericalKMeans(4, n_init=10, random_state=0).fit(tfidf)
euclidean = KMeans(4, n_init=10, random_state=0).fit(tfidf)
terms = np.asarray(vectorizer.get_feature_names_out())

print(
    f"{tfidf.shape[0]} texts, {tfidf.shape[1]} terms; agreement with the true topics "
    f"(adjusted Rand): {adjusted_rand_score(topics, km.labels_):.2f} after LSA, "
    f"{adjusted_rand_score(topics, raw.labels_):.2f} on the raw TF-IDF rows "
    f"(Euclidean KMeans there: {adjusted_rand_score(topics, euclidean.labels_):.2f})"
)
figure = Figure(figsize=(11, 3.2))
for j, ax in enumerate(figure.subplots(1, 4)):
    members = np.flatnonzero(km.labels_ == j)
    weights = np.asarray(tfidf[members].mean(axis=0)).ravel()
    top = np.argsort(-weights)[:6]
    labels = [topics[i] for i in members]
    majority = max(set(labels), key=labels.count)
    print(f"cluster {j} ({len(members)} texts, mostly {majority}): {', '.join(terms[top])}")
    ax.barh(terms[top][::-1], weights[top][::-1])
    ax.set_title(f"cluster {j}: {majority}")
figure.tight_layout()
figure.savefig(out / "terms.png", dpi=100)
print(f"wrote {out}/terms.png")
