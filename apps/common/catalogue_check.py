"""Checks that every UI string of an app has a translation in every language.

Strings are found the way translators' tools find them (Babel's Python extractor over ``_()``
calls); a call to ``_()`` with anything but one literal string is itself a finding, because
the extractor would miss it silently.
"""

from __future__ import annotations

import ast
import string
from dataclasses import dataclass
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from apps.common.i18n import DEFAULT_LANGUAGE, LANGUAGES, po_path


@dataclass(frozen=True)
class Finding:
    """A UI string that cannot be shown in some language, and why."""

    file: str
    line: int
    message: str
    problem: str


def placeholders(text: str) -> set[str]:
    """The ``str.format`` field names in ``text``."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def ui_strings(app_dir: Path) -> list[tuple[str, int, str]]:
    """``(file, line, message)`` of every ``_()`` string in an app folder."""
    found = []
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(app_dir), method_map=[("**.py", "python")]
    ):
        if isinstance(message, str) and message:
            found.append((filename, lineno, message))
    return found


def non_literal_calls(app_dir: Path) -> list[Finding]:
    """``_()`` calls whose argument is not one literal string (the extractor cannot see them)."""
    out = []
    for path in sorted(app_dir.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_"
                and not (
                    len(node.args) == 1
                    and not node.keywords
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                )
            ):
                out.append(
                    Finding(
                        str(path.relative_to(app_dir)),
                        node.lineno,
                        ast.unparse(node),
                        "_() needs one literal string",
                    )
                )
    return out


def read_catalogue(locales: Path, lang: str) -> dict[str, str]:
    """msgid -> msgstr of one language in one catalogue folder (fuzzy entries left out)."""
    path = po_path(locales, lang)
    if not path.exists():
        return {}
    with path.open("rb") as f:
        return {
            str(m.id): str(m.string)
            for m in read_po(f, locale=lang)
            if m.id and not m.fuzzy and isinstance(m.id, str)
        }


def check_app(app_dir: Path, shared_locales: Path | None = None) -> list[Finding]:
    """Every string of ``app_dir`` lacking a translation (or changing its placeholders)."""
    findings = non_literal_calls(app_dir)
    for lang in LANGUAGES:
        if lang == DEFAULT_LANGUAGE:
            continue
        translations = read_catalogue(shared_locales, lang) if shared_locales else {}
        translations.update(read_catalogue(app_dir / "locales", lang))
        for file, line, message in ui_strings(app_dir):
            translated = translations.get(message, "")
            if not translated.strip():
                findings.append(Finding(file, line, message, f"no {lang} translation"))
            elif placeholders(translated) != placeholders(message):
                findings.append(
                    Finding(file, line, message, f"{lang} translation changes the placeholders")
                )
    return findings
