"""points_in_polygon against hand-checked points."""

import numpy as np

from app.model.polygon import points_in_polygon


def test_points_inside_a_square_and_a_concave_shape():
    square = np.array([[0, 0], [2, 0], [2, 2], [0, 2]])
    x, y = np.array([1.0, 3.0, 0.5, -1.0]), np.array([1.0, 1.0, 1.9, 1.0])
    assert points_in_polygon(x, y, square).tolist() == [True, False, True, False]
    u_shape = np.array([[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3]])
    x, y = np.array([0.5, 1.5, 2.5, 1.5]), np.array([2.0, 2.0, 2.0, 0.5])
    assert points_in_polygon(x, y, u_shape).tolist() == [True, False, True, True]


def test_fewer_than_three_vertices_enclose_nothing():
    assert not points_in_polygon(np.array([0.0]), np.array([0.0]), np.array([[0, 0], [1, 1]])).any()
