"""URLs: the HTTP fetch with its deadline, redirects, compression and size limits."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
import urllib.error
import urllib.request
import zlib
from typing import Any
from urllib.parse import urljoin, urlsplit

from annotations import decoding
from annotations.models import Document
from reader.about import installed_version
from reader.ingest.html import parse_html
from reader.ingest.markdown import parse_markdown
from reader.ingest.text import ImportFailure, parse_text

MAX_PAGE_BYTES = 20 * 1024 * 1024
"""Web pages larger than this are refused."""


def _user_agent() -> str:
    release = installed_version()
    return f"reader/{release}" if release else "reader"


class _Deadline:
    """Ends a fetch at a set moment, whatever it is doing then.

    A socket timeout bounds each read, not the fetch: a server sending a byte every
    few seconds would hold it for ever. So each connection the fetch opens is noted
    here, and a timer shuts them all down when the time is up, which ends any read
    waiting on them; `expired` then tells the fetch that this is why it stopped.
    """

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._timer.cancel()

    def connect(
        self, address: tuple[str, int], timeout: float | None = None, *args: Any
    ) -> socket.socket:
        """`socket.create_connection`, waiting no longer than the time left, noted."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        sock = socket.create_connection(address, min(timeout or left, left), *args)
        with self._lock:
            if self.expired:
                sock.close()
                raise TimeoutError("deadline passed")
            self._sockets.append(sock)
        return sock

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class _HTTPHandler(urllib.request.HTTPHandler):
    """Plain HTTP whose connections keep to a deadline."""

    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connection, req)

    def _connection(self, host: str, **kwargs: Any) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection(host, **kwargs)
        connection._create_connection = self.deadline.connect  # type: ignore[attr-defined]
        return connection


class _HTTPSHandler(urllib.request.HTTPSHandler):
    """HTTPS whose connections keep to a deadline."""

    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connection, req, context=self._context)  # type: ignore[attr-defined]

    def _connection(self, host: str, **kwargs: Any) -> http.client.HTTPSConnection:
        connection = http.client.HTTPSConnection(host, **kwargs)
        connection._create_connection = self.deadline.connect  # type: ignore[attr-defined]
        return connection


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http and https addresses only.

    urllib follows one to `ftp:` too, and refuses `file:` and others with an HTTP
    error that does not say why; a page has no business sending reader elsewhere.
    """

    def http_error_302(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any
    ) -> Any:
        location = headers.get("Location") or headers.get("URI")
        if location:
            try:
                scheme = urlsplit(urljoin(req.full_url, location)).scheme.lower()
            except ValueError:
                scheme = "?"
            if scheme not in ("http", "https"):
                fp.close()
                raise ImportFailure(f"refused a redirect to a non-web address ({scheme}:)")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _decompressed(data: bytes, encoding: str) -> bytes:
    """A body as the page's bytes: gzip and deflate undone, no larger than the page limit.

    Raises:
        ImportFailure: For another compression, a damaged one, or a page over
            `MAX_PAGE_BYTES` once decompressed (a few kilobytes of gzip can hold
            gigabytes of zeros).
    """
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return data
    if name in ("gzip", "x-gzip"):
        wbits = 16 + zlib.MAX_WBITS
    elif name == "deflate":
        # HTTP's deflate is zlib data; some servers send raw deflate instead.
        zlib_header = (
            len(data) >= 2 and (data[0] & 0x0F) == 8 and int.from_bytes(data[:2]) % 31 == 0
        )
        wbits = zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS
    else:
        raise ImportFailure(f"page compressed as {_one_line(encoding)!r}, which reader cannot read")
    decompressor = zlib.decompressobj(wbits)
    try:
        page = decompressor.decompress(data, MAX_PAGE_BYTES + 1)
    except zlib.error:
        raise ImportFailure(f"damaged {name} compression") from None
    if len(page) > MAX_PAGE_BYTES:
        raise ImportFailure("page too large")
    if not decompressor.eof:
        raise ImportFailure(f"damaged {name} compression (cut short)")
    return page


def _read_limited(response: Any) -> bytes:
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > MAX_PAGE_BYTES:
        raise ImportFailure("page too large")
    data = response.read(MAX_PAGE_BYTES + 1)
    if len(data) > MAX_PAGE_BYTES:
        raise ImportFailure("page too large")
    return data


def _one_line(value: object) -> str:
    return " ".join(str(value).split()) or type(value).__name__


def _fetch(url: str, timeout: float) -> tuple[bytes, str, str | None]:
    """The body, media type and charset of a URL's response (redirects followed)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as error:
        raise ImportFailure(f"not a valid web address: {_one_line(error)}") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise ImportFailure("not a web address (http or https URL)")
    request = urllib.request.Request(
        url,
        headers={
            "User-Agent": _user_agent(),
            "Accept": "text/html, text/*;q=0.8",
            "Accept-Encoding": "gzip, deflate",
        },
    )
    timed_out = ImportFailure(f"timed out after {timeout:g} s")
    deadline = _Deadline(timeout)
    opener = urllib.request.build_opener(
        _HTTPHandler(deadline), _HTTPSHandler(deadline), _RedirectHandler()
    )
    try:
        with deadline, opener.open(request, timeout=timeout) as response:
            data = _read_limited(response)
            media = response.headers.get_content_type()
            charset = response.headers.get_content_charset()
            encoding = response.headers.get("Content-Encoding", "")
    except ImportFailure:
        raise
    except (OSError, ValueError, http.client.HTTPException) as error:
        # Once the deadline has cut the connection, whatever the read said, that is why.
        raise timed_out if deadline.expired else _failure(error, host, timed_out) from None
    finally:
        opener.close()
    if deadline.expired:  # a body cut short, read as if it had ended
        raise timed_out
    return _decompressed(data, encoding), media, charset


def _failure(error: Exception, host: str, timed_out: ImportFailure) -> ImportFailure:
    """The one-line failure for an error of urllib, http.client or the network."""
    if isinstance(error, urllib.error.HTTPError):
        return ImportFailure(f"HTTP {error.code} {_one_line(error.reason)}")
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        if isinstance(reason, TimeoutError):
            return timed_out
        if isinstance(reason, OSError) and reason.strerror:
            reason = reason.strerror
        return ImportFailure(f"cannot reach {host}: {_one_line(reason)}")
    if isinstance(error, TimeoutError):
        return timed_out
    if isinstance(error, ValueError | http.client.InvalidURL):
        return ImportFailure(f"not a valid web address: {_one_line(error)}")
    return ImportFailure(f"cannot read {host}: {_one_line(error)}")


def load_url(url: str, *, timeout: float = 20.0) -> Document:
    """Fetch a web page (or a text or Markdown file) and parse it into a document.

    The article's source is the URL as given, so importing it again updates it.

    Args:
        url: An http or https URL.
        timeout: Seconds the whole fetch may take (connecting, redirects and
            reading the page), however the server trickles it.

    Raises:
        ImportFailure: With a one-line reason: unreachable, timed out, an HTTP
            error, too large, not a web page, or no text.
    """
    data, media, charset = _fetch(url, timeout)
    if media in ("text/html", "application/xhtml+xml"):
        return parse_html(data, url, charset=charset)
    if media in ("text/plain", "text/markdown", "text/x-markdown"):
        if not data.strip():
            raise ImportFailure("empty page, no text to read")
        text = _decode_text(data, charset)
        if media == "text/plain":
            return parse_text(text, url)
        return parse_markdown(text, url)
    raise ImportFailure(f"not a web page (content type {media})")


def _decode_text(data: bytes, charset: str | None) -> str:
    """A text response's characters: BOM, UTF-8, the header's charset, then a guess."""
    try:
        return decoding.decode_served_text(data, charset)
    except decoding.NotTextError as error:
        raise ImportFailure(str(error)) from None
