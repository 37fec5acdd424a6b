"""Next-content recommender: the sites of a student's class ranked for them, with reasons."""

from ml_assets.recommender.model import Recommendation, Recommender, fit

__all__ = ["Recommendation", "Recommender", "fit"]
