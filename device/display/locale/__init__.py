"""Gettext catalogues of the UI (``sv.po`` edited, ``sv.mo`` compiled and committed)."""
