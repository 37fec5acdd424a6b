"""Find and scrub personal data in forum posts: emails, phones, ids, handles, URLs, names.

:func:`find_pii` returns :class:`Span` objects (``kind``, ``start``, ``end``) and
:func:`scrub` replaces each span with its placeholder (``[EMAIL]``, ``[PHONE]``, ``[ID]``,
``[HANDLE]``, ``[URL]``, ``[NAME]``). Kinds:

- ``EMAIL``: ``name@domain.tld``.
- ``URL``: links that point at a person: social or code-hosting profiles (LinkedIn,
  Facebook, GitHub, ...), personal paths (``/~name``, ``/user/``, ``/profile/``, ``/in/``), or
  a query carrying an email or a user id. Other links (course pages, documentation) are kept;
  ``scrub(text, all_urls=True)`` replaces every link.
- ``PHONE``: international numbers (``+44 20 7946 0958``, ``+1-555-123-4567``), US
  (``(555) 123-4567``, ``555-123-4567``) and European national formats
  (``06 12 34 56 78``, ``030 1234 5678``): 9 to 15 digits in groups.
- ``ID``: student-number-like tokens (``S1234567``, ``AB123456``), numbers introduced by an id
  keyword (``ID: 123456``, ``student number 4455667``) and bare runs of 8 or more digits.
- ``HANDLE``: ``@name`` mentions (not the ``@`` of an email address, nor common code
  decorators and doc tags such as ``@property`` or ``@param``).
- ``NAME``: names where the text says so: after "my name is", "I'm"/"I am", "call me",
  "this is"; after a title (Dr., Mr., Mrs., Ms., Prof., Professor, Miss); after a greeting
  ("Dear Anna,", "Hi John,"); and signatures at the end ("Thanks, Maria", "Best regards,
  John Smith", "-- John Smith").

Precision comes first: an ordinary capitalised word at a sentence start is never a name, and a
word after a trigger is taken only when it is capitalised and not a common English word
(:data:`NOT_NAMES`). So recall is limited: a bare name in running text ("ask Maria about it")
or a lower-case name is not found, nor are postal addresses, dates of birth or names written in
non-Latin scripts. Run it before text leaves the lake, and do not treat it as a guarantee.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["KINDS", "NOT_NAMES", "Span", "find_pii", "scrub"]

KINDS = ("EMAIL", "URL", "PHONE", "ID", "HANDLE", "NAME")


@dataclass(frozen=True, order=True)
class Span:
    """A piece of personal data in a text: ``text[start:end]`` is of kind ``kind``."""

    start: int
    end: int
    kind: str

    @property
    def placeholder(self) -> str:
        """What :func:`scrub` writes in its place, e.g. ``[EMAIL]``."""
        return f"[{self.kind}]"


# Capitalised words that follow a trigger ("I'm ...", "Thanks, ...", "Dear ...") but are not
# names. Lower-case forms; compared case-insensitively.
_NOT_NAMES_WORDS = """
    a about absolutely active actually again all also always am an and another anyone
    anybody as at away back based being best beginner big both but by certain clear
    completely confused correct currently curious dear definitely doing done each either
    english enrolled even every everybody everyone excited expert extremely fairly familiar
    fellow few fine finished first folks for friend friends from frustrated fully getting
    glad going good great guys happy having hello here hey hi hoping how however i if in
    interested it just keen kind last late learning like little looking lost lots many me
    more most much my new newbie next nice no not now of okay ok on one only or other our
    out over part partly pretty professor proud quite ready really reading retired right
    same seeing sir madam so some someone sorry still student students stuck such sure
    taking teacher team that the there this those thrilled through to too totally trying
    unable unsure up us using very wanting well what when where which while who why with
    working worried would yes yet you your all everyone everybody world class course
    instructor instructors staff ta tas mentor mentors community moderator moderators
    week weeks today tomorrow monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    again advance anyway regards thanks thank cheers best sincerely greetings god lord
    python java excel math maths statistics calculus chapter lecture lesson quiz exam
    assignment homework video module unit part section question answer problem
"""
NOT_NAMES = frozenset(_NOT_NAMES_WORDS.split())

_NAME_WORD = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
_NAME = rf"{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,2}}"

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                    r"\.[A-Za-z]{2,}")  # fmt: skip
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)
_PERSONAL_HOSTS = re.compile(
    r"(?:^|\.)(?:linkedin|facebook|fb|twitter|x|instagram|github|gitlab|bitbucket|tiktok|"
    r"youtube|medium|about|vk|t|wa|skype|researchgate|academia|orcid|myspace|tumblr|"
    r"pinterest|reddit|flickr|soundcloud|behance|dribbble|kaggle)\.(?:com|me|org|edu|io|co)$",
    re.IGNORECASE,
)
_PERSONAL_PATH = re.compile(
    r"/~|/(?:users?|profiles?|people|person|members?|in|u|author|staff|students?|home)/"
    r"|[?&](?:e?mail|user(?:_?id|name)?|uid|student(?:_?id)?|login)=",
    re.IGNORECASE,
)
_PHONE = re.compile(
    r"(?<![\w+/.-])(?:"
    r"\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}"  # +44 20 7946 0958, +1 (555) 123-4567
    r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}"  # (555) 123-4567
    r"|\d{3}[.-]\d{3}[.-]\d{4}"  # 555-123-4567
    r"|\d{3} \d{3} \d{4}"  # 555 123 4567
    r"|0\d{1,4}(?:[ .-]\d{2,4}){2,4}"  # 06 12 34 56 78, 030 1234 5678, 020 7946 0958
    r"|0\d{2,4}[ /-]\d{5,8}"  # 0171 1234567, 030/12345678
    r")(?![\w-])(?!\.\d)"
)
_ID_KEYWORD = re.compile(
    r"\b(?:student[ _-]?(?:id|number|no\.?|#)|matriculation(?: number| no\.?)?|matric(?:ulation)?"
    r"(?: no\.?)?|enrol(?:l)?ment(?: number| no\.?)?|learner id|user ?id|id(?: number| no\.?)?)"
    r"[ \t]*(?:is|=|:|#)?[ \t]*(?P<id>[A-Za-z]{0,3}\d{4,}[A-Za-z]?)\b",
    re.IGNORECASE,
)
_ID_TOKEN = re.compile(r"\b(?:[A-Za-z]{1,2}\d{6,}|\d{8,})\b")
_HANDLE = re.compile(r"(?<![\w.@/])@[A-Za-z_][A-Za-z0-9_.]{1,29}(?<!\.)")
_NAME_TRIGGERS = [
    re.compile(rf"\b(?i:my name is|my name's|name's|call me)[ \t]+(?P<name>{_NAME})"),
    re.compile(rf"\b(?:I'm|I’m|I am|(?i:this is))[ \t]+(?P<name>{_NAME})"),
    re.compile(
        rf"\b(?:Dr|Mr|Mrs|Ms|Mx|Prof|Professor|Miss)\.?[ \t]+(?P<name>{_NAME})",
    ),
    re.compile(rf"(?:^|\n)[ \t]*(?i:dear|hi|hello|hey)[ \t]+(?P<name>{_NAME})[ \t]*[,!]"),
]
_SIGN_OFF = (
    r"thanks(?: a lot| again| so much| in advance)?|thank you(?: (?:all|so much|again))?|"
    r"many thanks|regards|best regards|kind regards|warm regards|best wishes|best|cheers|"
    r"sincerely|yours sincerely|yours truly|yours|greetings|take care|ciao|"
    r"gracias|saludos|merci|cordialement|danke|grazie|obrigad[oa]"
)
_SIGNATURES = [
    re.compile(rf"(?i:{_SIGN_OFF})[ \t]*[,.!:-]?[ \t]*\n?[ \t]*(?P<name>{_NAME})[ \t]*\.?\s*$"),
    re.compile(rf"(?:^|\n)[ \t]*(?:--|—|–|-|~)[ \t]*(?P<name>{_NAME})[ \t]*\s*$"),
]
# Decorators and doc tags that programming courses write with "@": not people.
_CODE_AT_WORDS = (
    "property staticmethod classmethod dataclass override abstractmethod cached_property "
    "wraps param return returns throws author since deprecated see link interface "
    "suppresswarnings functionalinterface test before after media import keyframes "
    "app pytest jit njit tf torch"
)
_CODE_AT = frozenset(_CODE_AT_WORDS.split())
_PRIORITY = {kind: rank for rank, kind in enumerate(KINDS)}


def _is_name(candidate: str) -> tuple[int, int] | None:
    """Leading run of name words in ``candidate`` as (start, end) offsets, or None."""
    words = list(re.finditer(r"\S+", candidate))
    end = None
    for word in words:
        token = word.group().strip(".,!")
        if token.lower() in NOT_NAMES:
            break
        end = word.start() + len(token)
    return None if end is None else (0, end)


def _names(text: str) -> list[Span]:
    spans: list[Span] = []
    for pattern in [*_NAME_TRIGGERS, *_SIGNATURES]:
        for match in pattern.finditer(text):
            found = _is_name(match.group("name"))
            if found is None:
                continue
            start = match.start("name")
            spans.append(Span(start, start + found[1], "NAME"))
    return spans


def _digits(s: str) -> int:
    return sum(ch.isdigit() for ch in s)


def find_pii(text: str, all_urls: bool = False) -> list[Span]:
    """Personal data in ``text``, as non-overlapping spans sorted by position.

    Args:
        text: A post.
        all_urls: Report every link as ``URL``, not only links that point at a person.
    """
    if not text:
        return []
    spans: list[Span] = []
    spans += [Span(m.start(), m.end(), "EMAIL") for m in _EMAIL.finditer(text)]
    for match in _URL.finditer(text):
        url = match.group().rstrip(".,;:!?")
        host = re.sub(r"^(?:https?://)?(?:www\.)?", "", url, flags=re.IGNORECASE)
        host, _, path = host.partition("/")
        personal = (
            (bool(_PERSONAL_HOSTS.search(host.split(":")[0])) and bool(path.strip("/")))
            or bool(_PERSONAL_PATH.search("/" + path))
            or "@" in path
        )
        if all_urls or personal:
            spans.append(Span(match.start(), match.start() + len(url), "URL"))
    for match in _PHONE.finditer(text):
        if 9 <= _digits(match.group()) <= 15:
            spans.append(Span(match.start(), match.end(), "PHONE"))
    spans += [Span(m.start("id"), m.end("id"), "ID") for m in _ID_KEYWORD.finditer(text)]
    spans += [Span(m.start(), m.end(), "ID") for m in _ID_TOKEN.finditer(text)]
    spans += [
        Span(m.start(), m.end(), "HANDLE")
        for m in _HANDLE.finditer(text)
        if m.group()[1:].split(".")[0].lower() not in _CODE_AT
    ]
    spans += _names(text)
    # Keep the earliest span; among overlapping ones the longer, then the higher-priority kind.
    spans.sort(key=lambda s: (s.start, -(s.end - s.start), _PRIORITY[s.kind]))
    kept: list[Span] = []
    for span in spans:
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept


def scrub(text: str, all_urls: bool = False) -> str:
    """``text`` with each :func:`find_pii` span replaced by its placeholder (e.g. ``[NAME]``)."""
    out = text
    for span in reversed(find_pii(text, all_urls=all_urls)):
        out = out[: span.start] + span.placeholder + out[span.end :]
    return out
