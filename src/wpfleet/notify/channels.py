"""Sending an event to each configured channel; never raising."""

from __future__ import annotations

import json
import os
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from wpfleet.notify.events import Event

if TYPE_CHECKING:
    from wpfleet.config.models import Notify, SmtpSettings

TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Delivery:
    channel: str  # slack | webhook | email
    #: where it went, with any token masked (a webhook's path is its secret)
    target: str
    ok: bool
    error: str = ""


def resolve(value: str) -> str:
    """``env:NAME`` reads the variable (so a token need not sit in the fleet file)."""
    if value.startswith("env:"):
        return os.environ.get(value[4:], "")
    return value


def mask_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.netloc else "(not set)"


def send(event: Event, notify: Notify | None, timeout: float = TIMEOUT_SECONDS) -> list[Delivery]:
    """Send ``event`` to every channel of ``notify`` that wants it. Never raises."""
    if notify is None or (notify.events and str(event.kind) not in notify.events):
        return []
    out: list[Delivery] = []
    if notify.slack_webhook:
        body = {"text": event.as_text()}
        out.append(_post_json("slack", resolve(notify.slack_webhook), body, timeout))
    if notify.webhook:
        out.append(_post_json("webhook", resolve(notify.webhook), event.as_json(), timeout))
    if notify.email:
        out.append(_send_mail(event, notify.email, notify.smtp, timeout))
    return out


def _post_json(channel: str, url: str, body: object, timeout: float) -> Delivery:
    target = mask_url(url)
    if urlsplit(url).scheme not in ("http", "https"):
        return Delivery(
            channel, target, False, "not an http(s) URL (or its env: variable is unset)"
        )
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            status = reply.status
    except urllib.error.HTTPError as exc:
        return Delivery(channel, target, False, f"HTTP {exc.code}")
    except (OSError, ValueError) as exc:
        return Delivery(channel, target, False, _reason(exc))
    return Delivery(channel, target, 200 <= status < 300, "" if status < 300 else f"HTTP {status}")


def _send_mail(
    event: Event, recipients: list[str], smtp: SmtpSettings | None, timeout: float
) -> Delivery:
    host = smtp.host if smtp else "127.0.0.1"
    port = smtp.port if smtp else 25
    target = f"smtp://{host}:{port}"
    message = EmailMessage()
    message["Subject"] = event.subject
    message["From"] = smtp.sender if smtp else "wpfleet@localhost"
    message["To"] = ", ".join(recipients)
    message.set_content(event.as_text())
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as client:
            if smtp and smtp.starttls:
                client.starttls()
            if smtp and smtp.username:
                client.login(smtp.username, resolve(smtp.password or ""))
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        return Delivery("email", target, False, _reason(exc))
    return Delivery("email", target, True)


def _reason(exc: BaseException) -> str:
    """The error's kind and a short text; URLs in it are masked."""
    text = str(exc)
    for word in text.split():
        if "://" in word:
            text = text.replace(word, mask_url(word.strip("'\"<>()")))
    return f"{type(exc).__name__}: {text}"[:200]
