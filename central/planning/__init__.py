"""Planning at central: database rows → rules dataclasses → plans, presence and deviations.

:mod:`central.rules` is pure; this package is the thin layer that reads the rows it needs in a
few bulk queries (never one query per child), converts them, runs the rules, and turns the
results into what the roster and the API send.  Writes (schedules, agreements, leave, staff
corrections) live here too, so the API and the command line share one validated path.
"""

from central.planning.provider import PlanProvider, plans_for_departments, roster_entry

__all__ = ["PlanProvider", "plans_for_departments", "roster_entry"]
