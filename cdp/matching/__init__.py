"""Probabilistic record matching (Splink, Fellegi-Sunter with EM): features from the warehouse, a trained
model saved as JSON in the repo (matching/model.json) and reused, scored candidate pairs written to
`matching.identity_match_candidates`, review decisions in `matching.identity_review_decisions`."""

from cdp.matching.model import Thresholds, load_model, save_model, score, train

__all__ = ["Thresholds", "load_model", "save_model", "score", "train"]
