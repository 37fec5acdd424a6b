"""Languages: gettext message catalogues (``.po``, read with Babel) and localised formats.

Each app keeps its catalogues in ``<app>/locales/<lang>/LC_MESSAGES/messages.po``; the shared
strings live in ``apps/common/locales``. English is the source language (the ``msgid``). The
language in use is the signed-in user's setting, kept in Streamlit's session state under
``"lang"``; ``_()`` looks a string up in that language and falls back to English.

Strings are marked with ``_("...")`` so that Babel's extractor finds them, and placeholders use
``str.format`` names (``_("{name} joined").format(name=...)``); counts use
``ngettext("{n} student", "{n} students", n).format(n=n)``. A test checks that every marked
string has a translation in every language with the same placeholders.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

LANGUAGES: dict[str, str] = {"en": "English", "es": "Español", "fr": "Français"}
DEFAULT_LANGUAGE = "en"
APPS_ROOT = Path(__file__).resolve().parent.parent
CATALOGUE_DIRS: tuple[Path, ...] = (
    APPS_ROOT / "common" / "locales",
    APPS_ROOT / "teacher_dashboard" / "locales",
    APPS_ROOT / "student_portal" / "locales",
)


def po_path(locales: Path, lang: str) -> Path:
    """Where a catalogue folder keeps one language's ``.po`` file."""
    return locales / lang / "LC_MESSAGES" / "messages.po"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """Every app's catalogue of ``lang`` merged into one gettext object (English: none).

    The ``.po`` files are compiled in memory (no ``.mo`` files to keep in step), so plural
    forms follow each language's ``Plural-Forms`` rule.
    """
    if lang == DEFAULT_LANGUAGE or lang not in LANGUAGES:
        return gettext.NullTranslations()
    merged = Catalog(locale=lang)
    for locales in CATALOGUE_DIRS:
        path = po_path(locales, lang)
        if not path.exists():
            continue
        with path.open("rb") as f:
            for message in read_po(f, locale=lang):
                if message.id and message.string and not message.fuzzy:
                    merged.add(message.id, message.string)
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def catalogue(lang: str) -> dict[str, str]:
    """The singular messages of ``lang`` (msgid -> translation)."""
    table = getattr(translations(lang), "_catalog", {})
    return {k: v for k, v in table.items() if isinstance(k, str) and k}


def current_language() -> str:
    """The language of this session (the user's setting), English outside Streamlit."""
    try:
        import streamlit as st

        lang = st.session_state.get("lang", DEFAULT_LANGUAGE)
    except Exception:  # outside a Streamlit run there is no session state
        lang = DEFAULT_LANGUAGE
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def translate(message: str, lang: str) -> str:
    """``message`` in ``lang`` (falls back to the English source)."""
    return translations(lang).gettext(message)


def _(message: str) -> str:
    """``message`` in the current user's language."""
    return translate(message, current_language())


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the current user's language."""
    return translations(current_language()).ngettext(singular, plural, n)


def locale() -> Locale:
    """Babel locale of the current language."""
    return Locale.parse(current_language())


def fmt_number(value: float | int | None, digits: int = 0) -> str:
    """A number in the user's locale (``–`` when missing)."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=locale())


def fmt_percent(share: float | None, digits: int = 0) -> str:
    """A share (0-1) as a percentage in the user's locale (``–`` when missing)."""
    if share is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(share, format=pattern, locale=locale())


def fmt_date(value: dt.date | str | None) -> str:
    """A date in the user's locale, medium length (``3 déc. 2026``)."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    return format_date(value, format="medium", locale=locale())


def fmt_datetime(value: dt.datetime | str | None) -> str:
    """A moment in the user's locale, short form."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return format_datetime(value, format="short", locale=locale())
