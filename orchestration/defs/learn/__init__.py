"""Learn area: the served learner models, their gold predictions, drift and retraining.

``mastery`` (BKT and stronger knowledge-tracing models, ``gold/ml/ml_skill_mastery``) and
``at_risk`` (XGBoost on the week features, ``gold/ml/ml_at_risk_scores``), each tracked in
MLflow; a drift check and sensor, and a monthly schedule, retrain them. ``tutor`` indexes the
course pages for the tutor; ``recommender`` ranks the next content for every student;
``forum`` labels posts (language, sentiment, personal data, urgency); ``question_gen`` drafts
quiz items for teachers to approve.
"""

import dagster as dg

from orchestration.defs.learn.at_risk import at_risk_feature_drift, at_risk_model, at_risk_scores
from orchestration.defs.learn.forum import forum_post_labels, forum_urgency_model
from orchestration.defs.learn.mastery import MASTERY_TABLE, MODEL_FILE, mastery_model, skill_mastery
from orchestration.defs.learn.question_gen import drafted_items
from orchestration.defs.learn.recommender import content_recommendations, recommender_model
from orchestration.defs.learn.retrain import at_risk_drift_sensor, retrain_job, retrain_schedule
from orchestration.defs.learn.tutor import tutor_index

__all__ = [
    "MASTERY_TABLE",
    "MODEL_FILE",
    "at_risk_model",
    "at_risk_scores",
    "content_recommendations",
    "defs",
    "drafted_items",
    "forum_post_labels",
    "forum_urgency_model",
    "mastery_model",
    "recommender_model",
    "skill_mastery",
    "tutor_index",
]

defs = dg.Definitions(
    assets=[
        mastery_model,
        skill_mastery,
        at_risk_model,
        at_risk_scores,
        tutor_index,
        recommender_model,
        content_recommendations,
        forum_urgency_model,
        forum_post_labels,
        drafted_items,
    ],
    asset_checks=[at_risk_feature_drift],
    jobs=[retrain_job],
    schedules=[retrain_schedule],
    sensors=[at_risk_drift_sensor],
)
