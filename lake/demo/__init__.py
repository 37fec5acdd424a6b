"""The demo school generator: ``generate(landing, students, days, seed)`` writes a OneRoster
bundle, course content and a term of simulated xAPI, Caliper, quiz and forum data (with a few
deliberately bad records) into a landing folder."""

from lake.demo.generator import DemoSummary, generate

__all__ = ["DemoSummary", "generate"]
