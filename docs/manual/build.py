"""Render the manual's Markdown pages to print-ready HTML: one A4 page per role and language.

    .venv/bin/python docs/manual/build.py           # write docs/manual/print/<role>-<lang>.html
    .venv/bin/python docs/manual/build.py --check   # exit 1 if a printed page is out of date

The pages use a small part of Markdown, and this renderer knows exactly that part (no
dependency to install): ``#``/``##``/``###`` headings, paragraphs, ``1.`` and ``-`` lists
(a line indented under an item continues it), ``>`` notes, ``**bold**`` (in the manual: a
label exactly as the screen shows it), ``*emphasis*``, `` `code` ``,
``[links](url)`` and ``![images](src "phone")``. A paragraph made only of images becomes a row
of screenshots; the image title says how to print it (``phone``, ``desktop``, ``half``,
``large``); the phone screenshots of a row share its width, at most 44 mm each. Anything else
is printed as text, escaped. The HTML refers to the screenshots in ``../img/``, so keep
``print/`` next to ``img/`` when copying the manual for a trainer.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LANGS = ("th", "en")
ROLES = ("resident", "official", "volunteer", "admin", "planner")

_HEADING = re.compile(r"^(#{1,3})\s+(.*)$")
_ORDERED = re.compile(r"^(\d+)\.\s+(.*)$")
_BULLET = re.compile(r"^[-*]\s+(.*)$")
_IMAGE = re.compile(r'!\[([^\]]*)\]\(([^)\s]+)(?:\s+"([^"]*)")?\)')
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_EMPHASIS = re.compile(r"(?<![*\w])\*([^*\s][^*]*)\*(?![*\w])")
_CODE = re.compile(r"`([^`]+)`")
_IMAGES_ONLY = re.compile(r"^(\s*!\[[^\]]*\]\([^)]*\)\s*)+$")

STYLE = """
@page { size: A4; margin: 9mm 11mm; }
* { box-sizing: border-box; }
body { font-family: "Sarabun", "Loma", "Garuda", "Noto Sans Thai", sans-serif; font-size: 9.6pt;
       line-height: 1.32; color: #111; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 15pt; margin: 0 0 1mm; color: #08519c; }
h2 { font-size: 11pt; margin: 2.2mm 0 .8mm; border-bottom: .3mm solid #08519c; color: #08519c; }
h3 { font-size: 10pt; margin: 1.6mm 0 .5mm; }
p { margin: .6mm 0; }
ol, ul { margin: .5mm 0; padding-left: 5.5mm; }
li { margin: .25mm 0; }
code { font-family: "Tlwg Typo", monospace; font-size: .92em; background: #f0f0f0;
       padding: 0 .6mm; }
a { color: #08519c; }
em { font-style: normal; color: #a50f15; }
strong { font-weight: bold; }
blockquote { margin: 1mm 0; padding: .8mm 2mm; background: #fff7bc;
             border-left: 1mm solid #e6c300; }
blockquote p { margin: .2mm 0; }
.shots { display: flex; flex-wrap: wrap; gap: 2mm; align-items: flex-start; margin: 1mm 0; }
.shots figure { margin: 0; }
.shots img { display: block; border: .25mm solid #999; }
/* Phone screenshots share their row: four print 44 mm wide, five a little narrower. */
.shots .phone { flex: 1 1 0; min-width: 0; max-width: 44mm; }
.shots .phone img { width: 100%; }
.shots .desktop img { max-width: 188mm; max-height: 56mm; }
.shots .half img { max-width: 92mm; max-height: 56mm; }
.shots .large img { max-width: 188mm; max-height: 86mm; }
.shots figcaption { font-size: 7.5pt; color: #555; max-width: 92mm; }
@media screen { body { padding: 8mm; } }
"""


def _inline(text: str) -> str:
    """Escape, then turn the inline marks into HTML (code spans are left as they are)."""
    parts = _CODE.split(text)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f"<code>{html.escape(part)}</code>")
            continue
        part = html.escape(part, quote=False)
        part = _IMAGE.sub(_image, part)
        part = _LINK.sub(lambda m: f'<a href="{_attr(m[2])}">{m[1]}</a>', part)
        part = _BOLD.sub(r"<strong>\1</strong>", part)
        part = _EMPHASIS.sub(r"<em>\1</em>", part)
        out.append(part)
    return "".join(out)


def _attr(value: str) -> str:
    return html.escape(html.unescape(value), quote=True)


def _image(match: re.Match) -> str:
    alt, src, kind = match[1], match[2], match[3] or "desktop"
    return (
        f'<figure class="{_attr(kind)}"><img src="{_attr(src)}" alt="{_attr(alt)}">'
        f"<figcaption>{alt}</figcaption></figure>"
    )


def _blocks(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Group lines into blocks: (kind, lines) with kind heading, ol, ul, quote or para."""
    blocks: list[tuple[str, list[str]]] = []
    for raw in lines:
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("<!--"):
            blocks.append(("blank", []))
            continue
        if _HEADING.match(line):
            blocks.append(("heading", [line]))
            continue
        for kind, pattern in (("ol", _ORDERED), ("ul", _BULLET)):
            item = pattern.match(line)
            if item:
                if not blocks or blocks[-1][0] != kind:
                    # An ordered list keeps its first number, so steps run on across headings.
                    blocks.append((kind, [item[1]] if kind == "ol" else []))
                blocks[-1][1].append(item[item.lastindex])
                break
        else:
            if line.startswith(">"):
                if not blocks or blocks[-1][0] != "quote":
                    blocks.append(("quote", []))
                blocks[-1][1].append(line[1:].strip())
            elif line.startswith((" ", "\t")) and blocks and blocks[-1][0] in ("ol", "ul"):
                blocks[-1][1][-1] += " " + line.strip()
            elif blocks and blocks[-1][0] == "para":
                blocks[-1][1].append(line.strip())
            else:
                blocks.append(("para", [line.strip()]))
    return [b for b in blocks if b[0] != "blank"]


def render_body(markdown: str) -> str:
    """The HTML of a page's body for the Markdown subset described above."""
    out = []
    for kind, lines in _blocks(markdown.splitlines()):
        if kind == "heading":
            marks, text = _HEADING.match(lines[0]).groups()
            out.append(f"<h{len(marks)}>{_inline(text)}</h{len(marks)}>")
        elif kind == "ol":
            items = "".join(f"<li>{_inline(item)}</li>" for item in lines[1:])
            start = f' start="{int(lines[0])}"' if int(lines[0]) != 1 else ""
            out.append(f"<ol{start}>{items}</ol>")
        elif kind == "ul":
            items = "".join(f"<li>{_inline(item)}</li>" for item in lines)
            out.append(f"<ul>{items}</ul>")
        elif kind == "quote":
            out.append(f"<blockquote><p>{_inline(' '.join(lines))}</p></blockquote>")
        elif _IMAGES_ONLY.match(" ".join(lines)):
            out.append(f'<div class="shots">{_inline(" ".join(lines))}</div>')
        else:
            out.append(f"<p>{_inline(' '.join(lines))}</p>")
    return "\n".join(out)


def render_page(markdown: str, lang: str) -> str:
    """A whole printable HTML page: the body, its title and the A4 print style."""
    title = next(
        (m[2] for m in map(_HEADING.match, markdown.splitlines()) if m and m[1] == "#"), ""
    )
    return (
        f'<!doctype html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{render_body(markdown)}\n</body>\n</html>\n"
    )


def pages(root: Path = HERE) -> dict[Path, str]:
    """Every printed page, by output path, rendered from the Markdown under ``root``."""
    rendered = {}
    for lang in LANGS:
        for role in ROLES:
            source = root / lang / f"{role}.md"
            target = root / "print" / f"{role}-{lang}.html"
            rendered[target] = render_page(source.read_text(encoding="utf-8"), lang)
    return rendered


def main(argv: list[str]) -> int:
    stale = []
    for target, text in pages().items():
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if "--check" in argv:
            stale.append(target)
            continue
        target.parent.mkdir(exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target.relative_to(HERE.parents[1])}")
    for target in stale:
        print(f"{target} is out of date: run .venv/bin/python docs/manual/build.py")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
