"""Every string the apps show has a Spanish and a French translation, with its placeholders."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.common.catalogue_check import check_app, placeholders
from apps.common.i18n import APPS_ROOT, catalogue, translate

SHARED = APPS_ROOT / "common" / "locales"
APP_DIRS = ["common", "teacher_dashboard", "student_portal"]


@pytest.mark.parametrize("app", APP_DIRS)
def test_every_ui_string_is_translated_into_every_language(app: str) -> None:
    app_dir = APPS_ROOT / app
    assert app_dir.is_dir(), f"apps/{app} is missing"
    findings = check_app(app_dir, SHARED)
    assert not findings, "\n".join(
        f"apps/{app}/{f.file}:{f.line}: {f.problem}: {f.message!r}" for f in findings
    )


def _app(tmp_path: Path, source: str, es: dict[str, str], fr: dict[str, str]) -> Path:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    app = tmp_path / "app"
    app.mkdir()
    (app / "page.py").write_text(source, encoding="utf-8")
    for lang, entries in (("es", es), ("fr", fr)):
        folder = app / "locales" / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        cat = Catalog(locale=lang)
        for k, v in entries.items():
            cat.add(k, v)
        with (folder / "messages.po").open("wb") as f:
            write_po(f, cat)
    return app


def test_the_check_finds_a_string_without_translation(tmp_path: Path) -> None:
    app = _app(
        tmp_path,
        'from apps.common.i18n import _\n_("Hello")\n_("Missing in French")\n',
        {"Hello": "Hola", "Missing in French": "Falta en francés"},
        {"Hello": "Bonjour"},
    )
    problems = {(f.message, f.problem) for f in check_app(app)}
    assert problems == {("Missing in French", "no fr translation")}


def test_the_check_finds_a_dropped_placeholder_and_a_non_literal_call(tmp_path: Path) -> None:
    app = _app(
        tmp_path,
        'from apps.common.i18n import _\nname = "x"\n_("Hi {name}")\n_(name)\n',
        {"Hi {name}": "Hola"},
        {"Hi {name}": "Salut {name}"},
    )
    problems = sorted(f.problem for f in check_app(app))
    assert problems == ["_() needs one literal string", "es translation changes the placeholders"]


def test_placeholders_are_the_format_field_names() -> None:
    assert placeholders("{n} of {total} ({share})") == {"n", "total", "share"}
    assert placeholders("no fields") == set()


def test_translation_falls_back_to_english_and_reads_the_catalogues() -> None:
    assert translate("Sign in", "es") == "Iniciar sesión"
    assert translate("Sign in", "fr") == "Se connecter"
    assert translate("Sign in", "en") == "Sign in"
    assert translate("A string nobody translated", "es") == "A string nobody translated"
    assert catalogue("es") and catalogue("fr")


def test_the_check_wants_every_plural_form(tmp_path: Path) -> None:
    app = _app(
        tmp_path,
        "from apps.common.i18n import ngettext\nn = 2\n"
        'ngettext("{n} file", "{n} files", n)\nngettext("{n} cat", "{n} cats", n)\n',
        {("{n} file", "{n} files"): ("{n} archivo", "{n} archivos"), "x": "y"},
        {("{n} file", "{n} files"): ("{n} fichier", ""), ("{n} cat", "{n} cats"): ("", "")},
    )
    problems = sorted((f.message, f.problem) for f in check_app(app))
    assert problems == [
        ("{n} cats", "no es translation of every plural form"),
        ("{n} cats", "no fr translation of every plural form"),
        ("{n} files", "no fr translation of every plural form"),
    ]


def test_plural_forms_follow_the_language() -> None:
    from apps.common.i18n import translations

    one, many = (
        "{n} student is flagged, {high} of them with a high risk.",
        "{n} students are flagged, {high} of them with a high risk.",
    )
    es = translations("es")
    assert es.ngettext(one, many, 1) != es.ngettext(one, many, 2)
    assert "estudiante " in es.ngettext(one, many, 1)
    assert "estudiantes" in es.ngettext(one, many, 2)
    # French treats 0 as singular; English as plural.
    fr = translations("fr")
    assert fr.ngettext(one, many, 0) == fr.ngettext(one, many, 1)
    assert translations("en").ngettext(one, many, 0) == many
