"""`gradcli predict` on image files the test writes: the same classes as `gradcli eval` and the
model itself on the same arrays; mismatched files converted; bad files reported one per line."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gradcli.data import load_dataset
from gradcli.deploy.decode_pool import decoded
from gradcli.deploy.image_inputs import ImageOptions, read_image
from gradcli.deploy.inputs import InputSpec
from gradcli.deploy.loaded import load_for_inference
from tests.deploy.predict_helpers import error_lines, model_outputs, predictions, run, train

GREY = """
name: grey-shapes
seed: 1
data:
  dataset: shapes
  options: {n_samples: 2000, n_test: 60, seed: 5}
  transforms: [scale, normalize]
  batch_size: 32
  val_split: 0.1
model:
  input_shape: [1, 28, 28]
  layers:
    - conv2d: {out_channels: 6, kernel_size: 3, padding: 1}
    - relu
    - maxpool2d: 2
    - flatten
    - linear: 10
optimizer: {type: adam, lr: 0.005}
train: {epochs: 4}
"""

COLOUR = """
name: colour-shapes
data:
  dataset: shapes
  options: {n_samples: 100, n_test: 10, channels: 3, size: 12}
  transforms: [scale, normalize, flatten]
  batch_size: 50
model:
  input_shape: [432]
  layers: [{linear: 10}]
optimizer: {type: sgd, lr: 0.1}
train: {epochs: 1}
"""


@pytest.fixture(scope="module")
def grey(tmp_path_factory):
    """A trained greyscale model and its test split (uint8 (N, 1, 28, 28), labels)."""
    folder = tmp_path_factory.mktemp("grey")
    run_dir = train(GREY, folder)
    x, y, info = load_dataset("shapes", split="test", n_samples=2000, n_test=60, seed=5)
    return run_dir, x, y, info.class_names


def _write_pngs(folder, x):
    """Image i as folder/<i // 20>/<i>.png: folders are read recursively."""
    paths = []
    for i, image in enumerate(x):
        path = folder / f"part{i // 20}" / f"{i:03d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image[0]).save(path)
        paths.append(str(path))
    return paths


def test_pngs_get_the_classes_eval_and_the_model_give(grey, tmp_path):
    run_dir, x, y, names = grey
    paths = _write_pngs(tmp_path / "pngs", x)
    result = run("predict", run_dir, tmp_path / "pngs", "--json", "--batch-size", "7")
    assert result.returncode == 0, result.stderr
    got = predictions(result)
    assert sorted(got) == paths
    classes = np.array([got[p]["index"] for p in paths])
    assert [got[p]["class"] for p in paths] == [names[c] for c in classes]
    # the model itself on the arrays, and eval on the same test split: same classes
    np.testing.assert_array_equal(classes, model_outputs(run_dir, x).argmax(axis=1))
    evaluated = run("eval", run_dir, "--split", "test", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    confusion = np.zeros((10, 10), np.int64)
    np.add.at(confusion, (y, classes), 1)
    assert report["samples"] == len(x)
    assert confusion.tolist() == report["confusion"]
    assert report["accuracy"] > 0.5  # a model that learnt something, so classes are not ties


def test_mismatched_images_are_converted_and_bad_files_reported(grey, tmp_path):
    run_dir, x, _, _ = grey
    pics = tmp_path / "pics"
    pics.mkdir()
    grey0, grey1, grey2 = x[0, 0], x[1, 0], x[2, 0]
    Image.fromarray(grey0).save(pics / "a_grey.png")
    Image.fromarray(np.stack([grey0] * 3, axis=-1)).save(pics / "b_rgb.png")  # RGB, grey model
    Image.fromarray(grey0).convert("RGBA").save(pics / "c_rgba.png")
    Image.fromarray(grey1).resize((56, 56), Image.Resampling.NEAREST).save(pics / "d_big.bmp")
    Image.fromarray(grey2).save(pics / "e_grey.jpg", quality=95)
    (pics / "f_corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(200)))
    Image.fromarray(grey1).save(pics / "g_truncated.png")
    (pics / "g_truncated.png").write_bytes((pics / "g_truncated.png").read_bytes()[:60])
    Image.fromarray(grey0.astype(np.uint16) * 257).save(pics / "h_16bit.png")
    (pics / "notes.txt").write_text("not an input: skipped inside a folder")

    result = run("predict", run_dir, pics, "--json", "--top-k", "3")
    assert result.returncode == 1
    got = predictions(result)
    assert sorted(p.split("/")[-1] for p in got) == [
        "a_grey.png", "b_rgb.png", "c_rgba.png", "d_big.bmp", "e_grey.jpg"
    ]  # fmt: skip
    errors = error_lines(result)
    assert len(errors) == 3
    assert "f_corrupt.png: not a readable image" in errors[0]
    assert "g_truncated.png: corrupt or truncated image" in errors[1]
    assert "h_16bit.png: a I;16 image (16/32-bit pixels)" in errors[2]
    failed = json.loads(result.stdout)["failures"]
    assert [f["input"].split("/")[-1] for f in failed] == ["f_corrupt.png", "g_truncated.png",
                                                           "h_16bit.png"]  # fmt: skip

    def by_name(name):
        return next(v for k, v in got.items() if k.endswith(name))

    # RGB of equal channels and RGBA turn back into the very same grey pixels
    assert by_name("b_rgb.png")["top_k"] == by_name("a_grey.png")["top_k"]
    assert by_name("c_rgba.png")["top_k"] == by_name("a_grey.png")["top_k"]
    # the 56x56 image is resized by the stated rule (Pillow bilinear), then predicted
    resized = np.asarray(Image.open(pics / "d_big.bmp").resize((28, 28), Image.BILINEAR))
    expect = model_outputs(run_dir, resized[None, None]).argmax(axis=1)[0]
    assert by_name("d_big.bmp")["index"] == expect
    for p in got.values():
        probs = [t["probability"] for t in p["top_k"]]
        assert len(probs) == 3 and probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-9


def test_resize_crop_and_invert_rules(grey, tmp_path):
    run_dir, x, _, _ = grey
    spec = InputSpec.of(load_for_inference(run_dir))
    image = x[3, 0]
    # centre crop: a 28x56 image padded with 14 columns each side crops back to the original
    wide = np.pad(image, ((0, 0), (14, 14)), constant_values=77)
    Image.fromarray(wide).save(tmp_path / "wide.png")
    cropped = read_image(tmp_path / "wide.png", spec, ImageOptions(crop=True))
    np.testing.assert_array_equal(cropped, image[None])
    # without --crop the whole image is squeezed to 28x28 by Pillow's bilinear filter
    squeezed = read_image(tmp_path / "wide.png", spec, ImageOptions())
    expect = np.asarray(Image.fromarray(wide).resize((28, 28), Image.Resampling.BILINEAR))
    np.testing.assert_array_equal(squeezed, expect[None])
    # a large JPEG is decoded at 1/8 scale first: close to resizing the full decode
    Image.fromarray(image).resize((448, 448), Image.Resampling.BICUBIC).save(tmp_path / "b.jpg")
    fast = read_image(tmp_path / "b.jpg", spec, ImageOptions())
    with Image.open(tmp_path / "b.jpg") as full:
        slow = np.asarray(full.convert("L").resize((28, 28), Image.Resampling.BILINEAR))
    assert fast.shape == (1, 28, 28)
    diff = np.abs(fast[0].astype(int) - slow)
    assert diff.mean() < 1 and diff.max() <= 8, (diff.mean(), diff.max())
    # a dark-on-light drawing with --invert is the light-on-dark original
    Image.fromarray(255 - image).save(tmp_path / "dark.png")
    Image.fromarray(image).save(tmp_path / "light.png")
    inverted = run("predict", run_dir, tmp_path / "dark.png", "--invert", "--json")
    plain = run("predict", run_dir, tmp_path / "light.png", "--json")
    assert inverted.returncode == plain.returncode == 0, inverted.stderr + plain.stderr
    top = [next(iter(predictions(r).values()))["top_k"] for r in (inverted, plain)]
    assert top[0] == top[1]
    assert inverted.stderr == plain.stderr == ""
    # without --invert the dark-on-light image draws a note (the exit code stays 0)
    dark = run("predict", run_dir, tmp_path / "dark.png", tmp_path / "light.png", "--json")
    assert dark.returncode == 0, dark.stderr
    assert json.loads(dark.stdout)["much_brighter_than_training"] == [str(tmp_path / "dark.png")]
    assert dark.stderr.startswith(f"note: {tmp_path / 'dark.png'} is much brighter than the ")
    assert dark.stderr.strip().endswith("if dark on light, try --invert")


def test_grey_png_feeds_an_rgb_model(tmp_path):
    run_dir = train(COLOUR, tmp_path / "colour")
    loaded = load_for_inference(run_dir)
    assert loaded.raw_shape == (3, 12, 12) and loaded.input_shape == (432,)
    grey = np.arange(144, dtype=np.uint8).reshape(12, 12)
    Image.fromarray(grey).save(tmp_path / "grey.png")
    result = run("predict", run_dir, tmp_path / "grey.png", "--json", "--top-k", "10")
    assert result.returncode == 0, result.stderr
    got = next(iter(predictions(result).values()))
    probs = dict((t["class"], t["probability"]) for t in got["top_k"])
    outs = model_outputs(run_dir, np.stack([grey] * 3)[None])[0].astype(np.float64)
    expect = np.exp(outs - outs.max()) / np.exp(outs - outs.max()).sum()
    np.testing.assert_allclose([probs[n] for n in loaded.class_names], expect, rtol=1e-6)


def test_table_and_csv_output(grey, tmp_path):
    run_dir, x, _, names = grey
    paths = _write_pngs(tmp_path / "pngs", x[:4])
    relative = [str(Path(p).relative_to(tmp_path)) for p in paths]
    table = run("predict", run_dir, *relative, "--top-k", "2", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert "top 1" in table.stdout and "top 2" in table.stdout
    for p in relative:  # each input as it was given
        assert p in table.stdout
    out = tmp_path / "out.csv"
    written = run("predict", run_dir, *paths, "--top-k", "2", "--csv", out)
    assert written.returncode == 0, written.stderr
    assert f"wrote 4 predictions to {out}" in written.stdout
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["input", "class", "probability", "class_2", "probability_2"]
    assert [r["input"] for r in rows] == paths
    classes = model_outputs(run_dir, x[:4]).argmax(axis=1)
    assert [r["class"] for r in rows] == [names[c] for c in classes]
    assert all(float(r["probability"]) >= float(r["probability_2"]) for r in rows)


def test_worker_processes_read_what_threads_read(grey, tmp_path):
    run_dir, x, _, _ = grey
    paths = [Path(p) for p in _write_pngs(tmp_path / "pngs", x[:70])]
    (tmp_path / "pngs" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    files = [*paths[:30], tmp_path / "pngs" / "bad.png", *paths[30:]]
    spec = InputSpec.of(load_for_inference(run_dir))
    read = {
        (workers, processes): [s for _, chunk in decoded(files, spec, ImageOptions(), workers,
                                                         processes) for s in chunk]
        for workers, processes in ((2, False), (2, True), (0, None))
    }  # fmt: skip
    assert [s.name for s in read[2, True]] == [str(f) for f in files]
    for other in ((2, False), (0, None)):
        assert [s.name for s in read[2, True]] == [s.name for s in read[other]]
        assert [s.error for s in read[2, True]] == [s.error for s in read[other]]
    # the CLI's --workers: processes (2) and none (0) give what threads give
    flags = ([], ["-j", "2"], ["-j", "0"])
    outs = [run("predict", run_dir, tmp_path / "pngs", "--json", *j) for j in flags]
    assert all(r.returncode == 1 for r in outs)
    assert outs[0].stdout == outs[1].stdout == outs[2].stdout
    assert "bad.png: not a readable image" in read[2, True][30].error
    good = [i for i in range(len(files)) if i != 30]
    np.testing.assert_array_equal(np.stack([read[2, True][i].x for i in good]), x[:70])
