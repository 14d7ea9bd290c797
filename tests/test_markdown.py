"""Finding display math and declarations in a post, with their lines."""

from __future__ import annotations

from derive.audit.scan import Declaration, Display, Heading, Unclosed, extract, position


def test_display_forms_and_positions() -> None:
    text = ("# Title\n\nprose $inline$ prose\n\n$$\na = b\n$$\n\n\\[ c = d \\]\n\n"
            "\\begin{align*}\ne &= f\n\\end{align*}\n")
    items = extract(text)
    assert [type(i).__name__ for i in items] == ["Heading", "Display", "Display", "Display"]
    first, second, third = items[1:]
    assert isinstance(first, Display) and first.body.strip() == "a = b" and first.line == 5
    assert isinstance(second, Display) and second.body.strip() == "c = d"
    assert isinstance(third, Display) and third.body.startswith("\\begin{align*}")
    assert position(text, first.offset + first.body.index("a")) == (6, 1)


def test_declarations_split_on_semicolons_and_code_blocks_are_skipped() -> None:
    text = "<!-- derive: logits z; labels y soft -->\n```\n$$not = math$$\n```\n<!-- a comment -->\n$$x=y$$"
    items = extract(text)
    assert items[:2] == [Declaration("logits z", 1), Declaration("labels y soft", 1)]
    assert isinstance(items[2], Display) and items[2].body == "x=y"
    assert len(items) == 3


def test_an_unclosed_display_is_reported_and_the_rest_is_read() -> None:
    items = extract("$$a = b\n\n## Next\n")
    assert isinstance(items[0], Unclosed) and items[0].line == 1 and items[0].column == 1
    assert isinstance(items[1], Heading)


def test_latex_comment_declarations() -> None:
    items = extract("% derive: logits z; labels y soft\n\\[ a = b \\]\n%not a declaration\n")
    assert items[:2] == [Declaration("logits z", 1), Declaration("labels y soft", 1)]
    assert isinstance(items[2], Display) and len(items) == 3
