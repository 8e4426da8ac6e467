"""Small measurements shared by the engine's tests: distances, angles, the quadratic model, JSON."""

from __future__ import annotations

import json

import numpy as np


def relative_error(actual, expected) -> float:
    """‖actual − expected‖ / ‖expected‖."""
    return float(np.linalg.norm(np.subtract(actual, expected)) / np.linalg.norm(expected))


def cosine(a, b) -> float:
    """cos of the angle between a and b."""
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def distances(trace, x_star) -> np.ndarray:
    """‖x_k − x*‖ for every iterate of a trace."""
    return np.linalg.norm(trace.xs - np.asarray(x_star), axis=1)


def model_decrease(g, H, p):
    """m(p) − m(0) = gᵀp + ½ pᵀHp for one step p of shape (d,) or many of shape (d, n)."""
    p = np.asarray(p)
    return g @ p + 0.5 * np.sum(p * (H @ p), axis=0)


def best_on_circle(g, H, radius, samples=200_001):
    """The lowest value of the 2-D quadratic model on the circle ‖p‖ = radius, by brute force."""
    angles = np.linspace(0.0, 2 * np.pi, samples)
    circle = radius * np.array([np.cos(angles), np.sin(angles)])
    return float(model_decrease(g, H, circle).min())


def json_round_trip(data):
    """data through strict JSON (no NaN or infinity allowed) and back."""
    return json.loads(json.dumps(data, allow_nan=False))


def is_one_sentence(message: str) -> bool:
    """Ends with a full stop and has no second sentence ('. ' followed by more text)."""
    return message.endswith(".") and ". " not in message[:-1]
