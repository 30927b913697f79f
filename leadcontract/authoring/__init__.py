"""Tools for writing and changing contracts safely: a scaffold (``init``), contract tests with
coverage (``test``), and a semantic diff with a replay of history (``diff``)."""
