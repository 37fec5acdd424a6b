"""Mastery models: P(a student has mastered a skill) from their attempt sequences."""

from ml_assets.mastery.bkt import BktModel, BktParams, fit_bkt, roc_auc, skill_mastery

__all__ = ["BktModel", "BktParams", "fit_bkt", "roc_auc", "skill_mastery"]
