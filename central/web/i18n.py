"""The web's words: English message ids in templates and code, Swedish in ``locale/sv.po``.

The same gettext and Babel workflow as the terminal (:mod:`device.display.i18n`):
``pybabel extract -F central/web/locale/babel.cfg``, translate ``sv.po``, ``pybabel compile``;
the compiled ``sv.mo`` is committed and a test holds the two equal.  Swedish is the default.
"""

from __future__ import annotations

import gettext
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("sv", "en")
DEFAULT = "sv"


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated when shown."""
    return message


@cache
def translations(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    mo = resources.files("central.web.locale").joinpath(f"{lang}.mo")
    with mo.open("rb") as fh:
        return gettext.GNUTranslations(fh)


class Words:
    """``_`` and ``ngettext`` for one language, with ``%(name)s`` filled from keyword arguments."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT
        self._t = translations(self.lang)

    def __call__(self, message: str, **values: Any) -> str:
        text = self._t.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        return self._t.ngettext(singular, plural, n) % ({"num": n} | values)
