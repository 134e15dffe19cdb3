"""The UI's words: English message ids in code, translations in gettext catalogues.

Catalogues live in :mod:`device.display.locale` as ``<lang>.po`` (edited) and
``<lang>.mo`` (compiled with Babel's ``pybabel compile``, committed, so the Pi
needs neither Babel nor a build step; a test checks the two agree).  English is
the message ids themselves.  Swedish is the default; staff can switch.

Code marks strings with :func:`N_` (for extraction) and looks them up through a
:class:`Translator` at drawing time, so a language switch takes effect on the
next frame.
"""

from __future__ import annotations

import gettext
from importlib import resources

DOMAIN = "lh"
LANGUAGES = ("sv", "en")


def N_(message: str) -> str:
    """Mark ``message`` for extraction; translated later, when drawn."""
    return message


def _load(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    mo = resources.files("device.display.locale").joinpath(f"{language}.mo")
    with mo.open("rb") as fh:
        return gettext.GNUTranslations(fh)


class Translator:
    """Looks messages up in the current language; :meth:`switch` changes it."""

    def __init__(self, language: str = "sv") -> None:
        self._cache: dict[str, gettext.NullTranslations] = {}
        self.language = ""
        self.switch(language)

    def switch(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
        if language not in self._cache:
            self._cache[language] = _load(language)
        self.language = language
        self._t = self._cache[language]

    def __call__(self, message: str, **values: object) -> str:
        """The translation of ``message``, with ``{name}`` fields filled from ``values``."""
        text = self._t.gettext(message)
        return text.format(**values) if values else text

    def plural(self, singular: str, plural: str, n: int, **values: object) -> str:
        """The singular or plural form for ``n``; ``{n}`` is filled in."""
        return self._t.ngettext(singular, plural, n).format(n=n, **values)
