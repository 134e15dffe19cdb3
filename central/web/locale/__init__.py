"""The web's gettext catalogues (``sv.po`` edited, ``sv.mo`` compiled and committed)."""
