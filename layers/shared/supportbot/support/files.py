"""Attachments: copied from Telegram to the private S3 bucket, shared as presigned URLs.

A Telegram file URL contains the bot token, so it is never handed to anyone: the file is
downloaded once and third parties (Blinger) get a time-limited presigned URL instead.
"""

from __future__ import annotations

import functools
import mimetypes
from typing import Any

import requests
from telebot import TeleBot

URL_TTL_SECONDS = 24 * 60 * 60  # long enough for an operator to open it the same day
MAX_DOWNLOAD = 20 * 1024 * 1024  # what the public Bot API lets bots download


@functools.cache
def s3_client() -> Any:
    import botocore.session

    return botocore.session.get_session().create_client("s3")


def copy_from_telegram(
    bot: TeleBot, bucket: str, file_id: str, key_prefix: str, file_name: str | None = None
) -> str:
    """Download a Telegram file and store it under ``key_prefix``; returns the S3 key."""
    info = bot.get_file(file_id)
    if info.file_size and info.file_size > MAX_DOWNLOAD:
        raise ValueError("file is larger than the Bot API lets bots download")
    url = bot.get_file_url(file_id) if not info.file_path else _file_url(bot, info.file_path)
    response = requests.get(url, timeout=(3, 20))
    response.raise_for_status()
    name = file_name or info.file_path.rsplit("/", 1)[-1] if info.file_path else file_id
    key = f"{key_prefix}/{info.file_unique_id}-{name}"
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    s3_client().put_object(Bucket=bucket, Key=key, Body=response.content, ContentType=content_type)
    return key


def _file_url(bot: TeleBot, file_path: str) -> str:
    from telebot import apihelper

    template = apihelper.FILE_URL or "https://api.telegram.org/file/bot{0}/{1}"
    return template.format(bot.token, file_path)


def presigned_url(bucket: str, key: str, expires_in: int = URL_TTL_SECONDS) -> str:
    return str(
        s3_client().generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
        )
    )
