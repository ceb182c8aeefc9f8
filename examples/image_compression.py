"""Image compression by colour quantisation: scikit-learn's china.jpg in 16 colours.

    python examples/image_compression.py [OUTPUT_FOLDER] [--colors N]

Writes china-16.png (palette PNG, one byte per pixel) and compare.png (original beside the
quantised image) to OUTPUT_FOLDER (default: examples-output/); prints sizes and PSNR.
"""

import argparse
import io
from pathlib import Path

from matplotlib.figure import Figure
from PIL import Image
from sklearn.datasets import load_sample_image

from kmeanskit.apps import quantize_image

parser = argparse.ArgumentParser()
parser.add_argument("out", nargs="?", default="examples-output")
parser.add_argument("--colors", type=int, default=16)
args = parser.parse_args()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)

original = load_sample_image("china.jpg")
result = quantize_image(original, args.colors, random_state=0)
path = result.save(out / f"china-{args.colors}.png")

as_png = io.BytesIO()
Image.fromarray(original).save(as_png, format="PNG")
print(f"{result.n_colors_before} colours -> {args.colors}; PSNR {result.psnr:.2f} dB")
print(f"PNG size: {len(as_png.getvalue()) / 1024:.0f} KiB -> {path.stat().st_size / 1024:.0f} KiB")

figure = Figure(figsize=(10, 3.8))
for ax, image, title in zip(
    figure.subplots(1, 2),
    (original, result.image),
    (
        f"original ({result.n_colors_before} colours)",
        f"{args.colors} colours, {result.psnr:.1f} dB",
    ),
    strict=True,
):
    ax.imshow(image)
    ax.set_title(title)
    ax.axis("off")
figure.tight_layout()
figure.savefig(out / "compare.png", dpi=90)
print(f"wrote {path} and {out / 'compare.png'}")
