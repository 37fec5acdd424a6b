"""LearnSmart for students: a Streamlit multipage portal over the LearnSmart API."""
