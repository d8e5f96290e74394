"""Which unit looks most like another: cosine similarity of their templates (no Qt)."""

from __future__ import annotations

import numpy as np


def template_similarity(templates: dict, unit_id, candidates) -> dict:
    """Cosine similarity of ``unit_id``'s template with each candidate's (same shape).

    Returns
    -------
    dict
        ``{candidate: similarity in [-1, 1]}`` for the candidates that have a template.
    """
    if unit_id not in templates:
        return {}
    reference = np.asarray(templates[unit_id], dtype="float64").ravel()
    norm = np.linalg.norm(reference)
    result = {}
    for other in candidates:
        if other == unit_id or other not in templates:
            continue
        vector = np.asarray(templates[other], dtype="float64").ravel()
        denominator = norm * np.linalg.norm(vector)
        result[other] = float(reference @ vector / denominator) if denominator else 0.0
    return result


def most_similar_unit(templates: dict, unit_id, candidates):
    """The candidate whose template is most similar to ``unit_id``'s, or None."""
    scores = template_similarity(templates, unit_id, candidates)
    return max(scores, key=scores.get) if scores else None
