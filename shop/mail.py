"""Outgoing mail: SMTP when MAIL_SERVER is set; otherwise (or with MAIL_BACKEND=console) a log line naming
the recipient and subject, never the body. In tests every message also lands in an outbox."""
import logging
import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app

OUTBOX_KEEP = 50


def send_mail(to: str, subject: str, body: str, html: str | None = None) -> None:
    """Send a plain-text mail, or with `html` a multipart/alternative one (text first, so a mail reader
    that shows no HTML still shows everything); raise OSError or smtplib.SMTPException if the server
    refuses it."""
    app = current_app
    cfg = app.config
    if to.lower().endswith(".invalid") or to.lower().endswith("@invalid"):
        return  # a deleted account (deleted-<id>@invalid): nobody to write to, and nothing for a log
    console = cfg.get("MAIL_BACKEND") == "console" or not cfg.get("MAIL_SERVER")
    if console and not app.testing:  # nothing goes out: no message to build
        _log_unsent(app, to, subject)
        return
    message = EmailMessage()
    message["From"] = cfg["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")

    if app.testing:
        outbox = app.extensions.setdefault("outbox", [])
        outbox.append(message)
        del outbox[:-OUTBOX_KEEP]

    if console:
        _log_unsent(app, to, subject)
        return
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=15) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD", ""))
        smtp.send_message(message)


def _log_unsent(app, to: str, subject: str) -> None:
    # Only who and what about: bodies carry reset and invitation links, which must never reach a log.
    # Flask leaves its logger at WARNING outside debug mode, which would drop it.
    if not app.logger.isEnabledFor(logging.INFO):
        app.logger.setLevel(logging.INFO)
    app.logger.info("Mail not sent (console mode or no MAIL_SERVER): to %s, subject %r", to, subject)
