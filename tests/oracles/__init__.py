"""Slow, literal re-implementations of the authors' data code, used by the tests as oracles."""
