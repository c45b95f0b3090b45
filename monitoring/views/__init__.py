"""The views of the monitoring pages, one module per area; no view module imports another."""

from . import catalogues, dashboard, imports, overview, ozg, questions, rounds, sheets, workspace

__all__ = ["catalogues", "dashboard", "imports", "overview", "ozg", "questions", "rounds", "sheets", "workspace"]
