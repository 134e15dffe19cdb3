"""The web's catalogue is complete, checked and compiled: every message id in central/web has a
Swedish translation in ``sv.po``, the committed ``sv.mo`` says the same, and no translation loses
a ``%(name)s`` placeholder.  To fix a failure, run ``scripts/web-catalogue`` and translate."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "central" / "web"
LOCALE = WEB / "locale"

# The same as central/web/locale/babel.cfg and the -k options of scripts/web-catalogue.
METHOD_MAP = [("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "words": None, "ngettext": (1, 2)}

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


def _po() -> Catalog:
    with (LOCALE / "sv.po").open("rb") as fh:
        return read_po(fh)


def _key(m: Message) -> str:
    return m.id if isinstance(m.id, str) else m.id[0]


def _strings(m: Message) -> tuple[str, ...]:
    return (m.string,) if isinstance(m.string, str) else tuple(m.string or ())


def _extracted() -> set[str]:
    found = extract_from_dir(str(WEB), method_map=METHOD_MAP, keywords=KEYWORDS)
    return {m[2] if isinstance(m[2], str) else m[2][0] for m in found}


def test_babel_cfg_is_the_method_map_used_here() -> None:
    sections = re.findall(r"^\[(\w+):\s*(\S+)\]", (LOCALE / "babel.cfg").read_text(), re.MULTILINE)
    assert sections == [("python", "**.py"), ("jinja2", "templates/**.html")]


def test_extraction_finds_python_and_template_strings() -> None:
    ids = _extracted()
    assert "Overview" in ids  # N_ in guardian.py
    assert "Skip to content" in ids  # _ in a template
    assert "%(num)s week" in ids  # ngettext


def test_every_web_string_has_a_swedish_translation() -> None:
    translated = {_key(m) for m in _po() if m.id and all(_strings(m))}
    missing = _extracted() - translated
    assert not missing, f"run scripts/web-catalogue and translate in sv.po: {sorted(missing)}"


def test_no_fuzzy_translations() -> None:
    fuzzy = [_key(m) for m in _po() if m.id and m.fuzzy]
    assert not fuzzy, f"check these translations and remove '#, fuzzy': {fuzzy}"


def test_committed_mo_matches_po() -> None:
    with (LOCALE / "sv.mo").open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    for m in _po():
        if not m.id:
            continue
        if isinstance(m.id, str):
            assert mo.gettext(m.id) == m.string, m.id
        else:
            singular, plural = m.id[0], m.id[1]
            one, many = _strings(m)
            assert mo.ngettext(singular, plural, 1) == one, m.id
            assert mo.ngettext(singular, plural, 2) == many, m.id


def test_translations_keep_the_placeholders() -> None:
    for m in _po():
        if not m.id:
            continue
        ids = (m.id,) if isinstance(m.id, str) else tuple(m.id)
        known = {p for i in ids for p in PLACEHOLDER.findall(i)}
        for n, string in enumerate(_strings(m)):
            source = ids[min(n, len(ids) - 1)]
            lost = set(PLACEHOLDER.findall(source)) - set(PLACEHOLDER.findall(string))
            assert not lost, f"{source!r} → {string!r} lost {sorted(lost)}"
            extra = set(PLACEHOLDER.findall(string)) - known
            assert not extra, f"{source!r} → {string!r} has unknown {sorted(extra)}"


def test_the_words_the_pages_rely_on() -> None:
    with (LOCALE / "sv.mo").open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    assert mo.gettext("Overview") == "Översikt"
    assert mo.gettext("The pick-up time must be after the drop-off time.") == (
        "Hämtning måste vara efter lämning."
    )
    one, many = (
        "The unit needs %(num)s day's notice: the earliest start is %(date)s.",
        "The unit needs %(num)s days' notice: the earliest start is %(date)s.",
    )
    assert mo.ngettext(one, many, 1) % {"num": 1, "date": "2026-12-07"} == (
        "Enheten behöver 1 dags framförhållning: schemat kan börja tidigast 2026-12-07."
    )
    assert mo.ngettext(one, many, 5) % {"num": 5, "date": "2026-12-07"} == (
        "Enheten behöver 5 dagars framförhållning: schemat kan börja tidigast 2026-12-07."
    )
