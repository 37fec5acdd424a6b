"""LearnSmart's apps: the teacher dashboard, the student portal and the research explorer.

Every app reads and writes through the API with the signed-in user's token; ``apps.common``
holds what they share (the API client, sign-in, languages, charts).
"""
