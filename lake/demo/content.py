"""Course content for the demo school: the catalogue the simulation draws from, and the files under
``content/`` (Markdown and HTML pages with front matter, ``*.items.json`` item banks).

Content never depends on the seed: ids, texts and option orders are fixed, so a re-generated
school with another seed still points at the same pages and items.
"""

from __future__ import annotations

import html
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lake.demo._io import write_text
from lake.demo.curriculum import ClassSpec, Module, all_classes

BASE_URL = "https://lms.demo.learnsmart.example"
OPTION_IDS = ("a", "b", "c", "d", "e", "f")
# Module k (1-based) is taught from week 3k-2; the simulation follows the same calendar.
WEEKS_PER_MODULE = 3
PAGES_PER_MODULE = 2
ITEMS_PER_QUIZ = 5
# Modules whose second page is published as HTML rather than Markdown.
HTML_MODULES = (3, 6)


def content_url(content_id: str) -> str:
    """The LMS address of a content item; xAPI and Caliper use it as the activity id."""
    return f"{BASE_URL}/content/{content_id}"


def class_id_for(key: str, term_code: str) -> str:
    """OneRoster class ``sourcedId`` of a class key in a term (``cls-alg1-2025f``)."""
    return f"cls-{key}-{term_code}"


@dataclass(frozen=True)
class Catalog:
    """Everything the simulation needs about content, as arrays indexed [class, module, ...].

    ``item_*`` arrays have shape (C, M, I); ``skill_index`` points into ``skill_ids``.
    """

    classes: tuple[ClassSpec, ...]
    class_ids: tuple[str, ...]
    page_ids: np.ndarray  # (C, M, P) str
    page_titles: np.ndarray  # (C, M, P) str
    video_ids: np.ndarray  # (C, M) str
    video_length_s: np.ndarray  # (C, M) int
    resource_ids: np.ndarray  # (C, M) str
    quiz_ids: np.ndarray  # (C, M) str
    item_ids: np.ndarray  # (C, M, I) str
    item_correct: np.ndarray  # (C, M, I) int index of the correct option
    item_options: np.ndarray  # (C, M, I) int number of options
    item_skill: np.ndarray  # (C, M, I) int global skill index
    module_skills: np.ndarray  # (C, M, 2) int global skill index
    skill_ids: tuple[str, ...]

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)

    @property
    def n_modules(self) -> int:
        """Modules per class."""
        return int(self.quiz_ids.shape[1])


def _options(item_id: str, correct: str, distractors: tuple[str, ...]) -> tuple[list[str], int]:
    texts = [correct, *distractors]
    # Seeded by the item id (str seeds hash with SHA-512), so the order is stable across runs.
    random.Random(item_id).shuffle(texts)
    return texts, texts.index(correct)


def build_catalog(term_code: str) -> Catalog:
    """The fixed content catalogue for a term."""
    classes = all_classes()
    n_c, n_m = len(classes), len(classes[0].modules)
    page_ids = np.empty((n_c, n_m, PAGES_PER_MODULE), dtype=object)
    page_titles = np.empty_like(page_ids)
    video_ids = np.empty((n_c, n_m), dtype=object)
    video_len = np.zeros((n_c, n_m), dtype=np.int64)
    resource_ids = np.empty((n_c, n_m), dtype=object)
    quiz_ids = np.empty((n_c, n_m), dtype=object)
    item_ids = np.empty((n_c, n_m, ITEMS_PER_QUIZ), dtype=object)
    item_correct = np.zeros((n_c, n_m, ITEMS_PER_QUIZ), dtype=np.int64)
    item_options = np.zeros((n_c, n_m, ITEMS_PER_QUIZ), dtype=np.int64)
    item_skill = np.zeros((n_c, n_m, ITEMS_PER_QUIZ), dtype=np.int64)
    module_skills = np.zeros((n_c, n_m, 2), dtype=np.int64)
    skill_ids: list[str] = []
    for c, spec in enumerate(classes):
        if len(spec.modules) != n_m:
            raise ValueError(f"{spec.key}: every class needs {n_m} modules")
        for m, module in enumerate(spec.modules):
            prefix = f"{spec.key}-m{m + 1}"
            for p, page in enumerate(module.pages[:PAGES_PER_MODULE]):
                page_ids[c, m, p] = f"{prefix}-p{p + 1}"
                page_titles[c, m, p] = page.title
            video_ids[c, m] = f"{prefix}-v1"
            video_len[c, m] = module.video.length_s
            resource_ids[c, m] = f"{prefix}-r1"
            quiz_ids[c, m] = f"{prefix}-quiz"
            base = len(skill_ids)
            skill_ids.extend(s.skill_id for s in module.skills)
            module_skills[c, m] = [base, base + 1]
            for i, item in enumerate(module.items[:ITEMS_PER_QUIZ]):
                iid = f"{prefix}-q{i + 1}"
                texts, correct = _options(iid, item.correct, item.distractors)
                item_ids[c, m, i] = iid
                item_correct[c, m, i] = correct
                item_options[c, m, i] = len(texts)
                item_skill[c, m, i] = base + item.skill
    return Catalog(
        classes=classes,
        class_ids=tuple(class_id_for(s.key, term_code) for s in classes),
        page_ids=page_ids,
        page_titles=page_titles,
        video_ids=video_ids,
        video_length_s=video_len,
        resource_ids=resource_ids,
        quiz_ids=quiz_ids,
        item_ids=item_ids,
        item_correct=item_correct,
        item_options=item_options,
        item_skill=item_skill,
        module_skills=module_skills,
        skill_ids=tuple(skill_ids),
    )


_NEEDS_QUOTES = re.compile(r"(: |\s#|^[\s'\"\[\]{}&*!|>%@`,?-]|\s$|\"|')")


def _yaml_value(value: str | int) -> str:
    if isinstance(value, int):
        return str(value)
    if _NEEDS_QUOTES.search(value):
        return json.dumps(value, ensure_ascii=False)
    return value


def _front_matter(meta: dict[str, str | int]) -> str:
    lines = [f"{k}: {_yaml_value(v)}" for k, v in meta.items()]
    return "---\n" + "\n".join(lines) + "\n---\n"


def _meta(
    content_id: str, class_id: str, title: str, module: int, week: int, content_type: str
) -> dict[str, str | int]:
    return {
        "content_id": content_id,
        "class_id": class_id,
        "title": title,
        "module": f"M{module}",
        "week": week,
        "content_type": content_type,
        "url": content_url(content_id),
    }


def _md_inline(text: str) -> str:
    """Markdown inline marks to HTML: code spans, bold, italics (all the lessons use)."""
    text = html.escape(text, quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"\*([^*]+)\*", r"<em>\1</em>", text)


def markdown_to_html(body: str) -> str:
    """A small Markdown-to-HTML converter for the lesson texts (paragraphs, lists, tables)."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", body.strip()):
        lines = [ln.strip() for ln in block.splitlines()]
        if lines[0].startswith("- "):
            items = _join_list_items(lines, r"^- ")
            out.append("<ul>\n" + "".join(f"  <li>{_md_inline(i)}</li>\n" for i in items) + "</ul>")
        elif re.match(r"^\d+\. ", lines[0]):
            items = _join_list_items(lines, r"^\d+\. ")
            out.append("<ol>\n" + "".join(f"  <li>{_md_inline(i)}</li>\n" for i in items) + "</ol>")
        elif lines[0].startswith("|"):
            rows = [r for r in lines if not re.match(r"^\|[-| ]+\|$", r)]
            cells = [[c.strip() for c in r.strip("|").split("|")] for r in rows]
            body_rows = "".join(
                "  <tr>" + "".join(f"<td>{_md_inline(c)}</td>" for c in r) + "</tr>\n"
                for r in cells
            )
            out.append("<table>\n" + body_rows + "</table>")
        else:
            out.append("<p>" + _md_inline(" ".join(lines)) + "</p>")
    return "\n".join(out)


def _join_list_items(lines: list[str], marker: str) -> list[str]:
    items: list[str] = []
    for ln in lines:
        if re.match(marker, ln):
            items.append(re.sub(marker, "", ln, count=1))
        elif items:
            items[-1] += " " + ln
    return items


def _html_page(meta: dict[str, str | int], title: str, body_md: str) -> str:
    metas = "\n".join(
        f'    <meta name="learnsmart:{k}" content="{html.escape(str(v))}">'
        for k, v in meta.items()
        if k != "title"
    )
    return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>{html.escape(title)}</title>
{metas}
    <style>body {{ font-family: sans-serif; max-width: 46rem; margin: auto; }}</style>
    <script>window.lmsTrack = function () {{ /* page-view beacon */ }};</script>
  </head>
  <body>
    <nav><a href="{BASE_URL}/">Course home</a></nav>
    <article>
<h1>{html.escape(title)}</h1>
{markdown_to_html(body_md)}
    </article>
  </body>
</html>
"""


def _fmt_length(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def _first_paragraph(module: Module) -> str:
    return module.pages[0].body.strip().split("\n\n")[0].replace("\n", " ")


def _item_bank(spec: ClassSpec, class_id: str, m: int, module: Module) -> dict[str, object]:
    prefix = f"{spec.key}-m{m}"
    items = []
    for i, item in enumerate(module.items[:ITEMS_PER_QUIZ]):
        iid = f"{prefix}-q{i + 1}"
        texts, correct = _options(iid, item.correct, item.distractors)
        items.append(
            {
                "item_id": iid,
                "item_type": "multiple_choice",
                "stem": item.stem,
                "options": [{"option_id": OPTION_IDS[j], "text": t} for j, t in enumerate(texts)],
                "correct_option_ids": [OPTION_IDS[correct]],
                "skill_ids": [module.skills[item.skill].skill_id],
                "max_score": 1,
            }
        )
    return {
        "schema": "learnsmart.item_bank/1",
        "class_id": class_id,
        "quiz_id": f"{prefix}-quiz",
        "title": f"Module {m} quiz: {module.title}",
        "module": f"M{m}",
        "week": (m - 1) * WEEKS_PER_MODULE + 2,
        "skills": [
            {"skill_id": s.skill_id, "name": s.name, "description": s.description}
            for s in module.skills
        ],
        "items": items,
    }


def write_content(catalog: Catalog, folder: Path) -> tuple[dict[str, int], int]:
    """Write every page, video, resource, forum and item-bank file under ``folder``.

    Returns (file counts by kind, bytes written).
    """
    counts = {"md": 0, "html": 0, "items.json": 0}
    written = 0
    for spec, class_id in zip(catalog.classes, catalog.class_ids, strict=True):
        cdir = folder / spec.key
        forum_meta = {
            "content_id": f"{spec.key}-forum",
            "class_id": class_id,
            "title": f"{spec.title} discussion forum",
            "content_type": "forum",
            "url": content_url(f"{spec.key}-forum"),
        }
        written += write_text(
            cdir / f"{spec.key}-forum.md",
            _front_matter(forum_meta)
            + f"# {spec.title} discussion forum\n\nAsk questions about the lessons, share notes "
            "and help each other. Be kind; your teacher reads every thread.\n",
        )
        counts["md"] += 1
        for m, module in enumerate(spec.modules, start=1):
            mdir = cdir / f"M{m}"
            week = (m - 1) * WEEKS_PER_MODULE + 1
            for p, page in enumerate(module.pages[:PAGES_PER_MODULE], start=1):
                cid = f"{spec.key}-m{m}-p{p}"
                meta = _meta(cid, class_id, page.title, m, week + p - 1, "page")
                if p == 2 and m in HTML_MODULES:
                    written += write_text(
                        mdir / f"{cid}.html", _html_page(meta, page.title, page.body)
                    )
                    counts["html"] += 1
                else:
                    text = _front_matter(meta) + f"# {page.title}\n\n{page.body.strip()}\n"
                    written += write_text(mdir / f"{cid}.md", text)
                    counts["md"] += 1
            vid = f"{spec.key}-m{m}-v1"
            video = module.video
            written += write_text(
                mdir / f"{vid}.md",
                _front_matter(_meta(vid, class_id, video.title, m, week, "video"))
                + f"# {video.title}\n\n{video.description}\n\nLength: "
                f"{_fmt_length(video.length_s)}.\n\n## What this video covers\n\n"
                f"{_first_paragraph(module)}\n",
            )
            rid = f"{spec.key}-m{m}-r1"
            res = module.resource
            written += write_text(
                mdir / f"{rid}.md",
                _front_matter(_meta(rid, class_id, res.title, m, week + 1, "resource"))
                + f"# {res.title}\n\n{res.description}\n\nDownload the PDF from the course page "
                f"and bring your answers to class in week {week + 1}.\n",
            )
            counts["md"] += 2
            bank = _item_bank(spec, class_id, m, module)
            written += write_text(
                mdir / f"{spec.key}-m{m}-quiz.items.json",
                json.dumps(bank, ensure_ascii=False, indent=2) + "\n",
            )
            counts["items.json"] += 1
    return counts, written
