"""The per-student report: what it shows, what it hides, and that it escapes everything."""

from __future__ import annotations

from html.parser import HTMLParser

from conformance.report import student
from tests.report.sample import alice


class _Tags(HTMLParser):
    """Collects tag names and the URLs any attribute points at."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [value or "" for name, value in attrs if name in ("src", "href")]


def test_header_has_total_isolation_and_spec_versions() -> None:
    """Both formats open with the total of the cases shown, the isolation level and the spec versions."""
    for text in (student.markdown(alice()), student.html_page(alice())):
        assert "1.5 / 10" in text and "full isolation (namespaces via root)" in text and "pipe 1.0.0, shm 2.1.0" in text


def test_failure_details_are_all_shown() -> None:
    """A failure shows its step, expected and observed, hint, references and output; a hang its kernel diagnosis."""
    text = student.markdown(alice())
    for needle in ("step 3 (specs/pipe.yaml:120:7)", "b'hello world'", "**Observed:**", "end-of-file comes only once",
                   "man:pipe(7), PIPE-EOF-01", "debug: got 5 bytes", "blocked in read(3) on pipe:[1234]", "SIGSEGV"):
        assert needle in text, needle


def test_hidden_cases_show_only_id_and_criterion() -> None:
    """A hidden case appears with its ID and mechanism only: no title, outcome, points or feedback."""
    for text in (student.markdown(alice()), student.html_page(alice())):
        assert "SHM-H1" in text and "hidden case (shm)" in text
        assert "secret" not in text


def test_harness_error_details_stay_with_the_instructor() -> None:
    """A harness error says it costs nothing, and does not show the grader's own message."""
    text = student.markdown(alice())
    assert "It is not counted against you" in text and "/grader/x.py" not in text


def test_html_escapes_everything_and_loads_nothing() -> None:
    """Program output and titles are escaped; the page has no script and refers to no outside resource."""
    page = student.html_page(alice())
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags and parser.urls == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;every&gt;" in page
    assert "default-src 'none'" in page


def test_markdown_escapes_markup_and_fences_output() -> None:
    """Markup in titles is escaped, and output sits in a fence longer than any backtick run inside it."""
    text = student.markdown(alice())
    assert r"\<every\> write end \| not just the first \& \*one\*" in text
    assert "````text\nb'hello'\n```not a fence```\n````" in text
    assert "\n# not a heading" in text.split("**What your program printed:**")[1].split("```\n\n")[0]


def test_control_characters_are_made_visible() -> None:
    """Terminal escapes and NULs in the program's output are shown as \\xNN, never raw."""
    for text in (student.markdown(alice()), student.html_page(alice())):
        assert "\x1b" not in text and "\x00" not in text and "\\x1b[31m" in text


def test_released_later_cases_are_marked() -> None:
    """A case released after the due date is shown in full, with a note saying so."""
    assert "*released after the due date*" in student.markdown(alice())
