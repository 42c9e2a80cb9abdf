"""The publications as feeds: JSON Feed 1.1 and RSS 2.0.

Each entry is one publication in its current state. A correction or a withdrawal changes the
entry's content digest or status, and so its RSS ``guid``: feed readers show it as news, while
the entry's ``id`` (and the JSON feed's ``id``) stays the publication's.

Free text (a target's name, a penalty) is carried as plain text, never as markup: an RSS
``description`` is HTML by the specification, so its text is HTML-escaped before the XML
escapes it again (a name holding ``<b>`` shows ``<b>`` in a reader, not bold type); JSON Feed
carries it in ``content_text``. A character XML 1.0 cannot hold (a control character recorded
before the text rule refused them) is written as U+FFFD, so the feed stays well-formed XML.
Times are China time (+08:00).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from verify.workdays import CHINA

# What a feed entry carries, as the read model names it (projections.queries.search_publications).
FIELDS = (
    "id",
    "position",
    "channel",
    "status",
    "target_code",
    "target_name",
    "items",
    "division",
    "division_name",
    "inspected_on",
    "category",
    "category_label",
    "follow_up",
    "follow_up_label",
    "published_on",
    "published_at",
    "deadline",
    "on_time",
    "content_digest",
    "supersedes",
)
CHANNELS = {"results": "抽查结果公示", "double_publicity": "双公示"}
STATUSES = {"published": "已公示", "corrected": "已更正", "withdrawn": "已撤回"}


def publication(row: dict[str, Any]) -> dict[str, Any]:
    """One publication as a feed shows it: the listed fields and the published content."""
    return {**{name: row.get(name) for name in FIELDS}, "content": row.get("content")}


def title(row: dict[str, Any]) -> str:
    what = row.get("category_label") or CHANNELS.get(row["channel"], row["channel"])
    status = "" if row["status"] == "published" else f"（{STATUSES.get(row['status'], '')}）"
    return f"{row['target_name']}：{what}{status}"


def summary(row: dict[str, Any]) -> str:
    items = "、".join(item["name"] for item in row.get("items") or [])
    parts = [
        f"检查对象：{row['target_name']}（{row['target_code']}）",
        f"检查事项：{items}",
        f"实施部门：{row['division_name']}",
        f"检查日期：{row['inspected_on']}",
    ]
    if row.get("category_label"):
        parts.append(f"检查结果：{row['category_label']}")
    if row.get("follow_up_label"):
        parts.append(f"后续处理：{row['follow_up_label']}")
    content = row.get("content") or {}
    if row["channel"] == "double_publicity":
        parts += [
            f"立案号：{content.get('case_number', '')}",
            f"处罚决定书文号：{content.get('decision_number', '')}",
            f"处罚内容：{content.get('penalty', '')}",
        ]
    parts.append(f"状态：{STATUSES.get(row['status'], row['status'])}")
    return "；".join(parts)


def json_feed(
    rows: list[dict[str, Any]], *, title_text: str, home: str, feed_url: str, next_url: str | None
) -> dict[str, Any]:
    """A JSON Feed 1.1 document; each item's ``_publication`` holds the publication's fields."""
    feed: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title_text,
        "home_page_url": home,
        "feed_url": feed_url,
        "language": "zh-CN",
        "items": [
            {
                "id": row["id"],
                "url": _link(home, row),
                "title": title(row),
                "content_text": summary(row),
                "date_published": _time(row["published_at"]).isoformat(),
                "date_modified": _time(row.get("updated_at") or row["published_at"]).isoformat(),
                "tags": [CHANNELS.get(row["channel"], row["channel"])],
                "_publication": publication(row),
            }
            for row in rows
        ],
    }
    if next_url is not None:
        feed["next_url"] = next_url
    return feed


def rss(rows: list[dict[str, Any]], *, title_text: str, home: str) -> bytes:
    """An RSS 2.0 document (UTF-8); ElementTree escapes every text."""
    root = ET.Element("rss", version="2.0")
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = title_text
    ET.SubElement(channel, "link").text = home
    ET.SubElement(channel, "description").text = f"{title_text}：双随机抽查结果与双公示"
    ET.SubElement(channel, "language").text = "zh-CN"
    ET.SubElement(channel, "docs").text = "https://www.rssboard.org/rss-specification"
    newest = max((_time(r.get("updated_at") or r["published_at"]) for r in rows), default=None)
    if newest is not None:
        ET.SubElement(channel, "lastBuildDate").text = format_datetime(newest)
    for row in rows:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = _xml_text(title(row))
        ET.SubElement(item, "link").text = _link(home, row)
        ET.SubElement(item, "description").text = _xml_text(html.escape(summary(row), quote=False))
        ET.SubElement(item, "category").text = CHANNELS.get(row["channel"], row["channel"])
        guid = ET.SubElement(item, "guid", isPermaLink="false")
        guid.text = f"{row['id']}/{row['status']}/{row['content_digest']}"
        ET.SubElement(item, "pubDate").text = format_datetime(_time(row["published_at"]))
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


def _link(home: str, row: dict[str, Any]) -> str:
    return f"{home}/results?{urlencode({'q': row['target_code']})}"


def _time(value: Any) -> datetime:
    """A recorded time (UTC) in China time."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(CHINA)


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """``text`` with each character XML 1.0 cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)
