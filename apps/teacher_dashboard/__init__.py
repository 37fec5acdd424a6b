"""LearnSmart for teachers: a Streamlit dashboard over the API (``streamlit run
apps/teacher_dashboard/app.py``)."""
