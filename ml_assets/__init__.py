"""Machine-learning assets of LearnSmart: learner models fitted on the gold marts."""
