"""Finding display math and declarations in a post, with their lines."""

from __future__ import annotations

from derive.audit.scan import Declaration, Display, Heading, Inline, Unclosed, extract, position


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


def test_code_is_decided_by_the_markdown_parse() -> None:
    # An indented code block, an inline code span and the front matter hold no math; a fence neither.
    text = ("---\ntitle: '$$f = g$$'\n---\nprose `$$a = b$$` prose\n\n    $$c = d$$\n\n"
            "- item\n\n    $$e = f$$\n\n```\n$$g = h$$\n```\n$$x = y$$\n")
    displays = [i for i in extract(text) if isinstance(i, Display)]
    # Under a list item, four spaces are the item's continuation, not code: that display counts.
    assert [d.body for d in displays] == ["e = f", "x = y"]
    assert [d.line for d in displays] == [10, 15]


def test_inline_math_with_positions() -> None:
    text = "# T\n\nLet $S_i = e^{z_i}$ and\n`$k$` then $a$.\n\n$$b = c$$\n"
    items = extract(text, inline=True)
    inline = [i for i in items if isinstance(i, Inline)]
    assert [(i.body, i.line, i.column) for i in inline] == [("S_i = e^{z_i}", 3, 6), ("a", 4, 13)]
    assert all(text[i.offset:i.offset + len(i.body)] == i.body for i in inline)
    assert [type(i).__name__ for i in items] == ["Heading", "Inline", "Inline", "Display"]
    assert not any(isinstance(i, Inline) for i in extract(text))  # only when asked


def test_latex_files_keep_their_reading_and_sections_are_headings() -> None:
    text = ("\\section{Softmax}\n% derive: logits z\nLet $a$ and \\(b\\).\n\n    \\[ a = b \\]\n"
            "\\subsection*{Case 2}\n% $c$ is a comment\n\\begin{align*}\nc &= d\n\\end{align*}\n")
    items = extract(text, inline=True)
    kinds = [type(i).__name__ for i in items]
    # Indented LaTeX is not a Markdown code block.
    assert kinds == ["Heading", "Declaration", "Inline", "Inline", "Display", "Heading", "Display"]
    assert isinstance(items[5], Heading) and items[5].line == 6
    assert [i.body for i in items if isinstance(i, Inline)] == ["a", "b"]
