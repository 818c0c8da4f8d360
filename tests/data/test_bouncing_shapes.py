import re

import numpy as np
import pytest

from vidgen_tf.data import COLOR_NAMES, DIRECTIONS, SHAPES, SIZES, BouncingShapes
from vidgen_tf.data.bouncing_shapes import COLORS

CLAUSE = re.compile(r"an? (small|large) (\w+) (\w+) moves ([a-z-]+)")


@pytest.fixture(scope="module")
def clips():
    return BouncingShapes(num_frames=8, image_size=64, seed=5).generate(300)


def test_shapes_and_determinism(clips):
    assert clips["video"].shape == (300, 8, 64, 64, 3) and clips["video"].dtype == np.uint8
    again = BouncingShapes(num_frames=8, image_size=64, seed=5).generate(300)
    np.testing.assert_array_equal(clips["video"], again["video"])
    np.testing.assert_array_equal(clips["caption"], again["caption"])


def test_captions_name_every_attribute(clips):
    for i in range(300):
        present = clips["shapes"][i] >= 0
        found = CLAUSE.findall(clips["caption"][i])
        assert [SIZES.index(z) for z, _, _, _ in found] == list(clips["sizes"][i][present])
        assert [COLOR_NAMES.index(c) for _, c, _, _ in found] == list(clips["colors"][i][present])
        assert [SHAPES.index(s) for _, _, s, _ in found] == list(clips["shapes"][i][present])
        assert [DIRECTIONS.index(d) for *_, d in found] == list(clips["directions"][i][present])
    for attr, count in (("shapes", len(SHAPES)), ("colors", len(COLORS)), ("sizes", 2)):
        assert set(np.unique(clips[attr])) == set(range(-1, count))


def test_single_shapes_have_their_colour_and_size(clips):
    single = np.flatnonzero(clips["num_objects"] == 1)
    areas = {0: [], 1: []}
    for i in single:
        frame = clips["video"][i, 0].astype(int)
        colour = np.array(COLORS[COLOR_NAMES[clips["colors"][i, 0]]])
        inked = frame.sum(-1) > 0
        # The commonest colour is the named one (edges blend it with the black background).
        colours, counts = np.unique(frame[inked], axis=0, return_counts=True)
        np.testing.assert_array_equal(colours[counts.argmax()], colour)
        areas[int(clips["sizes"][i, 0])].append(inked.sum())
    assert np.mean(areas[1]) > 2.5 * np.mean(areas[0])    # large vs small


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="num_shapes"):
        BouncingShapes(num_shapes=(0, 2))
    with pytest.raises(ValueError, match="shape_size"):
        BouncingShapes(image_size=16, shape_size=20)
