"""Owner Markdown keeps its formatting and loses anything that could run in a shopper's browser."""
from __future__ import annotations

import json

import pytest

from kameng.sitegen.markdown_safe import MarkdownConverter
from tests.build.conftest import Project
from tests.build.test_site_output import Elements


def safe(text: str, images: dict[str, str] | None = None) -> str:
    known = images or {}
    return MarkdownConverter().convert(text, known.get).html


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>",
    "<SCRIPT src=//evil.example/x.js></SCRIPT>",
    "<style>body{display:none}</style>",
    '<iframe src="https://evil.example"></iframe>',
    '<object data="x.swf"></object>',
    '<svg><script>alert(1)</script></svg>',
])
def test_script_style_and_embedding_elements_are_removed_with_their_content(hostile: str) -> None:
    html = safe(f"before {hostile} after")
    assert "before" in html and "after" in html
    for word in ("script", "style", "iframe", "object", "alert", "display:none", "evil"):
        assert word not in html.lower()


@pytest.mark.parametrize("link", [
    "[x](javascript:alert(1))",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    '<a href="vbscript:msgbox(1)">x</a>',
])
def test_links_to_script_or_data_urls_lose_their_href(link: str) -> None:
    html = safe(link)
    assert "href" not in html and "script:" not in html.lower() and "data:" not in html


def test_event_handler_and_style_attributes_are_removed() -> None:
    html = safe('<img src="steam.svg" onerror="alert(1)"> <b onclick="x()" style="color:red">bold</b>',
                {"steam.svg": "/assets/img/steam.0123456789.svg"})
    assert html == '<p><img src="/assets/img/steam.0123456789.svg"> <b>bold</b></p>'


def test_an_image_that_is_not_a_local_file_loses_its_source_and_is_reported() -> None:
    result = MarkdownConverter().convert("![x](https://evil.example/p.png) ![y](nothere.png)", {}.get)
    assert "evil" not in result.html and "src" not in result.html
    assert result.unknown_images == ("https://evil.example/p.png", "nothere.png")


def test_links_get_nofollow_noopener() -> None:
    assert safe("[官网](https://example.com)") == (
        '<p><a href="https://example.com" rel="nofollow noopener">官网</a></p>')


def test_normal_formatting_survives() -> None:
    html = safe(
        "# 标题\n\n**粗体** *斜体* <b>原样</b> `代码`\n\n- 一\n- 二\n\n1. 甲\n2. 乙\n\n"
        "| 面值 | 售价 |\n| --- | --- |\n| 50 | 49 |\n\n```\n<script>不是代码执行</script>\n```\n\n> 引用\n"
    )
    for kept in ("<h1>标题</h1>", "<strong>粗体</strong>", "<em>斜体</em>", "<b>原样</b>", "<code>代码</code>",
                 "<ul>", "<ol>", "<li>一</li>", "<table>", "<th>面值</th>", "<td>49</td>", "<blockquote>",
                 "<pre><code>&lt;script&gt;不是代码执行&lt;/script&gt;"):
        assert kept in html


def test_hostile_markdown_in_a_product_never_reaches_its_page(project: Project) -> None:
    project.edit("main/products/mobile.md", "全国通用。",
                 '全国通用。<script>alert(1)</script><img src="steam.svg" onerror=alert(2)>'
                 '[点我](JaVaScRiPt:alert(3))<iframe src="https://evil.example"></iframe>')
    project.build()
    page = project.page("main/p/mobile/index.html")
    assert "alert(" not in page and "evil.example" not in page and "JaVaScRiPt" not in page
    assert "全国通用" in page and "点我" in page


HOSTILE_TITLE = '</script><script>alert(1)</script><img src=x onerror=alert(2)> & "引号"'


def test_a_hostile_product_title_is_escaped_in_the_html(project: Project) -> None:
    project.edit("main/products/mobile.md", "title: 移动话费", f"title: '{HOSTILE_TITLE}'")
    project.build()
    page = Elements(project.page("main/p/mobile/index.html"))
    assert len(page.all("script")) == 2  # app.js and the JSON-LD, nothing injected
    assert not [a for tag, a in page.tags if "onerror" in a]
    assert "<h1>&lt;/script&gt;&lt;script&gt;alert(1)" in project.page("main/p/mobile/index.html")


def test_a_hostile_product_title_cannot_close_the_json_ld_script(project: Project) -> None:
    project.edit("main/products/mobile.md", "title: 移动话费", f"title: '{HOSTILE_TITLE}'")
    project.build()
    page = project.page("main/p/mobile/index.html")
    opening = '<script type="application/ld+json">'
    start = page.index(opening) + len(opening)
    data = page[start:page.index("</script>", start)]
    assert not {"<", ">", "&"} & set(data)
    assert json.loads(data)["name"] == HOSTILE_TITLE
