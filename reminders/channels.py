"""Delivery channels. Each either returns (sent), raises TransientError (try again later) or PermanentError
(no retry will help: the reminder is marked failed with the reason). The in-app copy is written before any of
them, so a failing mail server or webhook loses nothing."""

from __future__ import annotations

import http.client
import json
import smtplib
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlparse

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from reminders.content import Message

HTTP_TIMEOUT = 10


class DeliveryError(Exception):
    def __init__(self, channel: str, reason: str) -> None:
        super().__init__(f"{channel}: {reason}")
        self.channel = channel


class TransientError(DeliveryError):
    pass


class PermanentError(DeliveryError):
    pass


def send_email(*, address: str, message: Message) -> None:
    text = message.body
    if message.url:
        text += "\n\n" + message.absolute_url()
    # A subject is one line: a lead name typed with a line break would make the mail library refuse it.
    mail = EmailMessage(subject=" ".join(message.title.split()), body=text, to=[address])
    try:
        mail.send(fail_silently=False)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        raise PermanentError(
            "email", _("the mail server refused the address: %(error)s") % {"error": exc}
        ) from exc
    except smtplib.SMTPResponseException as exc:
        # 5xx answers are final; 4xx ones (mailbox busy, greylisting) are worth another try.
        error_class = PermanentError if exc.smtp_code >= 500 else TransientError
        raise error_class("email", _("the mail server answered %(code)s") % {"code": exc.smtp_code}) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientError(
            "email", _("the mail server cannot be reached: %(error)s") % {"error": exc}
        ) from exc


def check_webhook_url(url: str) -> str | None:
    """A reason the URL cannot be a webhook, or None."""
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        return _("the webhook address must start with http:// or https:// (it is “%(url)s”)") % {"url": url}
    return None


def _post_json(channel: str, url: str, payload: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 - callers pass only http(s) addresses
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:  # noqa: S310 - scheme checked
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        error_class = TransientError if exc.code >= 500 or exc.code == 429 else PermanentError
        raise error_class(channel, _("the server answered HTTP %(code)s") % {"code": exc.code}) from exc
    except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, TLS errors, cut-off answers
        raise TransientError(channel, _("the server cannot be reached: %(error)s") % {"error": exc}) from exc
    except ValueError as exc:
        raise TransientError(channel, _("the server's answer is not JSON")) from exc


# WeCom answers these when it is busy or the token went stale: worth another try.
WECOM_RETRY_CODES = {-1, 40014, 42001, 45009}
WECOM_TOKEN_KEY = "reminders:wecom-token"  # noqa: S105 - a cache key, not a secret


def wecom_configured() -> bool:
    return bool(settings.WECOM_CORP_ID and settings.WECOM_SECRET and settings.WECOM_AGENT_ID)


def _wecom_token() -> str:
    token = cache.get(WECOM_TOKEN_KEY)
    if token:
        return token
    query = urlencode({"corpid": settings.WECOM_CORP_ID, "corpsecret": settings.WECOM_SECRET})
    answer = _get_json("wecom", f"{settings.WECOM_API_BASE}/cgi-bin/gettoken?{query}")
    if answer.get("errcode") or not answer.get("access_token"):
        raise PermanentError(
            "wecom", _("WeCom refused the credentials: %(error)s") % {"error": answer.get("errmsg")}
        )
    # WeCom tokens live two hours; keep ours a little shorter.
    cache.set(WECOM_TOKEN_KEY, answer["access_token"], timeout=int(answer.get("expires_in", 7200)) - 300)
    return answer["access_token"]


def _get_json(channel: str, url: str) -> dict:
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as response:  # noqa: S310 - our own setting
            return json.loads(response.read() or b"{}")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise TransientError(channel, _("the server cannot be reached: %(error)s") % {"error": exc}) from exc


def send_wecom(*, wecom_userid: str, message: Message) -> None:
    """An application message to one staff member (企业微信应用消息)."""
    content = f"{message.title}\n{message.body}"
    if message.url:
        content += f"\n{message.absolute_url()}"
    url = f"{settings.WECOM_API_BASE}/cgi-bin/message/send?access_token={_wecom_token()}"
    payload = {
        "touser": wecom_userid,
        "msgtype": "text",
        "agentid": settings.WECOM_AGENT_ID,
        "text": {"content": content},
    }
    _check_wecom_answer("wecom", _post_json("wecom", url, payload))


def send_webhook(*, message: Message) -> None:
    """The group robot (群机器人): unit digests only, which carry counts and no personal data."""
    url = settings.WECOM_WEBHOOK_URL
    problem = check_webhook_url(url)
    if problem:
        raise PermanentError("webhook", problem)
    payload = {"msgtype": "text", "text": {"content": f"{message.title}\n{message.body}"}}
    _check_wecom_answer("webhook", _post_json("webhook", url, payload))


def _check_wecom_answer(channel: str, answer: dict) -> None:
    code = answer.get("errcode", 0)
    if not code:
        return
    if code in {40014, 42001}:
        cache.delete(WECOM_TOKEN_KEY)
    error_class = TransientError if code in WECOM_RETRY_CODES else PermanentError
    raise error_class(
        channel, _("WeCom answered %(code)s: %(error)s") % {"code": code, "error": answer.get("errmsg")}
    )
