"""The single place the package version lives (read by hatch and by verdicts)."""

__version__ = "0.1.0"
