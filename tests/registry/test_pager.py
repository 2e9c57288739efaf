"""The pager of paged lists (the official's area, the survey list): other parameters kept."""

from __future__ import annotations

from flask import render_template_string

PAGER = '{% include "_pager.html" %}'


def test_the_pager_keeps_the_query_and_links_both_ways(app):
    with app.test_request_context("/official/?status=open&page=2&lang=en"):
        html = render_template_string(PAGER, page=2, pages=3)
    assert 'href="?status=open&amp;page=1&amp;lang=en"' in html
    assert 'href="?status=open&amp;page=3&amp;lang=en"' in html
    assert "<span>2 / 3</span>" in html


def test_one_page_needs_no_pager(app):
    with app.test_request_context("/official/"):
        assert "pager" not in render_template_string(PAGER, page=1, pages=1)
