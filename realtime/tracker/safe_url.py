"""Where a tracked link may send the browser: an absolute http(s) URL whose host is on the allowed list.

An open redirect is refused in every spelling browsers are known to accept: a scheme-relative `//evil`,
backslashes (`https:\\\\evil`, `/\\evil`, which browsers read as slashes), userinfo (`https://shop@evil`),
other schemes (`javascript:`, `data:`), control characters and whitespace (browsers drop tabs and new
lines inside URLs: `java\\tscript:`), percent-encoded or non-ASCII hosts and invalid ports.
"""

from urllib.parse import urlsplit, urlunsplit

from realtime.errors import BadRequest

MAX_URL_CHARS = 2048


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    """`example.com` allows that host only; `.example.com` allows it and every subdomain."""
    for entry in allowed:
        if entry.startswith("."):
            if host == entry[1:] or host.endswith(entry):
                return True
        elif host == entry:
            return True
    return False


def checked_target(url: str | None, allowed: tuple[str, ...]) -> str:
    """`url`, normalised, when a redirect to it is safe; 400 `invalid_url` or `redirect_not_allowed`."""
    if not url:
        raise BadRequest("missing_url", "Send the target of the link in the `u` query parameter")
    if len(url) > MAX_URL_CHARS:
        raise BadRequest("invalid_url", f"The target URL is over {MAX_URL_CHARS} characters")
    if any(ord(char) <= 0x20 or ord(char) == 0x7F or ord(char) > 0x7E for char in url) or "\\" in url:
        raise BadRequest(
            "invalid_url", "The target URL holds whitespace, a control character, a backslash or non-ASCII"
        )
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise BadRequest("invalid_url", "The target URL must be an absolute http or https URL")
    if not parts.netloc or "@" in parts.netloc or "%" in parts.netloc:
        raise BadRequest("invalid_url", "The target URL must name a host, without user info or escapes")
    try:
        port = parts.port
    except ValueError:
        raise BadRequest("invalid_url", "The target URL has an invalid port") from None
    host = (parts.hostname or "").lower()
    if not host or host.startswith(".") or host.endswith("."):
        raise BadRequest("invalid_url", "The target URL has an invalid host")
    if not host_allowed(host, allowed):
        # Never echo the URL: it would make this answer a place to reflect content.
        raise BadRequest("redirect_not_allowed", "The target host is not on the collector's list of allowed hosts")
    netloc = host if port is None else f"{host}:{port}"
    if host.count(":"):  # an IPv6 literal keeps its brackets
        netloc = f"[{host}]" if port is None else f"[{host}]:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, parts.fragment))
