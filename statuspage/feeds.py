"""``/status/history.atom`` and ``/status/history.rss``: public incidents and maintenance, newest first,
each entry carrying its public updates (sanitised HTML)."""

from __future__ import annotations

import re

from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape

from incidents.markdown import render_markdown
from statuspage.selectors.page import PageData

FEED_LIMIT = 50
# What Django's XML writer refuses (UnserializableContentError): one pasted control character in a public
# title or update would otherwise stop every snapshot render, so the whole status page would go stale.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0B\x0C\x0E-\x1F]")


def _xml(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def _incident_html(incident) -> str:
    parts = []
    for update in incident.updates:
        when = update.created_at.strftime("%b %d, %H:%M UTC")
        parts.append(f"<p><small>{escape(when)}</small><br><strong>{escape(update.status.title())}</strong> - ")
        parts.append(f"{render_markdown(update.body)}</p>")
    return "".join(parts)


def _build(feed_class, data: PageData, link_suffix: str) -> bytes:
    base = data.url.rstrip("/")
    feed = feed_class(
        title=_xml(f"{data.name} - Incident History"),
        link=f"{base}/",
        description=_xml(f"Incidents and maintenance of {data.name}"),
        language="en",
        feed_url=f"{base}/{link_suffix}",
        feed_guid=f"{base}/{link_suffix}",
    )
    entries = []
    for incident in data.incidents:
        entries.append((incident.updated_at, incident))
    for maintenance in data.maintenances:
        entries.append((maintenance.updated_at, maintenance))
    entries.sort(key=lambda pair: pair[0], reverse=True)
    for updated, item in entries[:FEED_LIMIT]:
        if hasattr(item, "updates"):
            link = f"{base}/incidents/{item.id}/"
            feed.add_item(
                title=_xml(item.name),
                link=link,
                description=_xml(_incident_html(item)),
                unique_id=link,
                pubdate=item.created_at,
                updateddate=updated,
            )
        else:
            link = f"{base}/#maintenance-{item.id}"
            when = f"{item.scheduled_for:%b %d, %H:%M} - {item.scheduled_until:%b %d, %H:%M} UTC"
            feed.add_item(
                title=_xml(f"[{item.status.replace('_', ' ').title()}] {item.name}"),
                link=link,
                description=_xml(f"<p><small>{escape(when)}</small></p>{render_markdown(item.body)}"),
                unique_id=f"{link}-{int(item.scheduled_for.timestamp())}",
                pubdate=item.created_at,
                updateddate=updated,
            )
    return feed.writeString("utf-8").encode()


def atom(data: PageData) -> bytes:
    return _build(Atom1Feed, data, "history.atom")


def rss(data: PageData) -> bytes:
    return _build(Rss201rev2Feed, data, "history.rss")
