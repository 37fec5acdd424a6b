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


Message = str | tuple[str, ...]


def ui_strings(app_dir: Path) -> list[tuple[str, int, Message]]:
    """``(file, line, message)`` of every ``_()`` string (and ``ngettext`` pair) in an app."""
    found: list[tuple[str, int, Message]] = []
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(app_dir), method_map=[("**.py", "python")], keywords={"_": None, "ngettext": (1, 2)}
    ):
        if isinstance(message, str) and message:
            found.append((filename, lineno, message))
        elif isinstance(message, tuple) and all(message):
            found.append((filename, lineno, tuple(message)))
    return found


def _literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def non_literal_calls(app_dir: Path) -> list[Finding]:
    """``_()``/``ngettext()`` calls whose messages are not literal strings (the extractor
    cannot see them)."""
    out = []
    for path in sorted(app_dir.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            name, args = node.func.id, node.args
            if name == "_" and not (len(args) == 1 and not node.keywords and _literal(args[0])):
                problem = "_() needs one literal string"
            elif name == "ngettext" and not (
                len(args) == 3 and _literal(args[0]) and _literal(args[1])
            ):
                problem = "ngettext() needs two literal strings and a count"
            else:
                continue
            out.append(
                Finding(str(path.relative_to(app_dir)), node.lineno, ast.unparse(node), problem)
            )
    return out


def read_catalogue(locales: Path, lang: str) -> dict[Message, Message]:
    """msgid -> msgstr of one language in one catalogue folder (fuzzy entries left out);
    plural entries map the (singular, plural) pair to every plural form."""
    path = po_path(locales, lang)
    if not path.exists():
        return {}
    with path.open("rb") as f:
        out: dict[Message, Message] = {}
        for m in read_po(f, locale=lang):
            if not m.id or m.fuzzy:
                continue
            if isinstance(m.id, str):
                out[m.id] = str(m.string or "")
            else:
                out[tuple(m.id)] = tuple(str(x or "") for x in m.string)
        return out


def _problem(message: Message, translated: Message | None, lang: str) -> str | None:
    if isinstance(message, str):
        if not isinstance(translated, str) or not translated.strip():
            return f"no {lang} translation"
        if placeholders(translated) != placeholders(message):
            return f"{lang} translation changes the placeholders"
        return None
    if not isinstance(translated, tuple) or not all(f.strip() for f in translated):
        return f"no {lang} translation of every plural form"
    wanted = placeholders(message[-1])
    if any(
        placeholders(form) - wanted or wanted - placeholders(form) - {"n"} for form in translated
    ):
        return f"{lang} translation changes the placeholders"
    return None


def check_app(app_dir: Path, shared_locales: Path | None = None) -> list[Finding]:
    """Every string of ``app_dir`` lacking a translation (or changing its placeholders)."""
    findings = non_literal_calls(app_dir)
    for lang in LANGUAGES:
        if lang == DEFAULT_LANGUAGE:
            continue
        translations = read_catalogue(shared_locales, lang) if shared_locales else {}
        translations.update(read_catalogue(app_dir / "locales", lang))
        for file, line, message in ui_strings(app_dir):
            problem = _problem(message, translations.get(message), lang)
            if problem:
                shown = message if isinstance(message, str) else message[-1]
                findings.append(Finding(file, line, shown, problem))
    return findings
