"""What the Streamlit apps share: the API client, sign-in, languages, charts and tables."""
