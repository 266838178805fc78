"""Host classification: loopback, unspecified, link-local (VIBE-91, seed 000 §4 Rule 91).

One owner for "does this endpoint point at this machine?". Preflight (``VIBE-91`` on env
values), the source scan (``os.getenv`` / ``${VAR:-…}`` defaults) and anything else that judges
a host call :func:`classify_host`, :func:`is_local_host` or :func:`local_hosts`.

Grammar of a host (after :func:`normalise_host`: surrounding whitespace and ``[]`` removed,
lower-cased, one trailing dot removed):

- ``localhost`` and every name below it (``*.localhost``, RFC 6761 §6.3), and the
  ``localhost.localdomain`` alias of common ``/etc/hosts`` files: ``loopback``;
- an IP address in any spelling :func:`ipaddress.ip_address` accepts (IPv4 dotted quad, IPv6
  full or compressed, IPv4-mapped IPv6 ``::ffff:127.0.0.1``, an IPv6 zone ``fe80::1%eth0``):
  127.0.0.0/8 and ``::1`` are ``loopback``; ``0.0.0.0`` and ``::`` are ``unspecified`` (a
  client connecting there reaches this machine); 169.254.0.0/16 and fe80::/10 are
  ``link-local``;
- anything else (``localhost-proxy.example.com``, ``mylocalhost``, ``db.internal``): ``other``.

A *value* (URL, DSN, ``host``, ``host:port``, ``user@host``, ``[v6]:port`` or a comma-separated
list of them such as ``KAFKA_BOOTSTRAP_SERVERS``) is split element by element
(:func:`hosts_in`); each element's host is classified on its own.

Text that is too large to split into values first (a source file the scan reads) is screened
with :data:`LOCAL_HOST_HINT`: a text holding a host that :func:`is_local_host` accepts matches
it (except the rare spellings listed there), so a text without a match can be skipped.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from .folding import fold

HostClass = Literal["loopback", "unspecified", "link-local", "other"]

#: Classes that VIBE-91 forbids as a service endpoint: the host is this machine.
LOCAL_CLASSES: frozenset[str] = frozenset({"loopback", "unspecified"})

_LOCALHOST_ALIASES = frozenset({"localhost", "localhost.localdomain"})
#: Every character an address :func:`ipaddress.ip_address` accepts may contain (an IPv6 zone
#: id after ``%`` is an interface name: letters, digits, ``-_.``).
_ADDRESS_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyz.:%-_")


def normalise_host(host: str) -> str:
    """``host`` stripped of whitespace and ``[]``, lower-cased, without one trailing dot."""
    h = host.strip()
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
    h = h.lower()
    return h[:-1] if h.endswith(".") and not h.endswith("..") else h


@lru_cache(maxsize=4096)
def classify_host(host: str) -> HostClass:
    """``loopback`` | ``unspecified`` | ``link-local`` | ``other`` for one host name or address
    (see the module docstring for the grammar). Never raises."""
    h = normalise_host(host)
    if not h:
        return "other"
    if h in _LOCALHOST_ALIASES or h.endswith(".localhost"):
        return "loopback"
    if not _ADDRESS_CHARS.issuperset(h):
        return "other"  # not an IP address in any spelling (saves the parser's exception)
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        return "other"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_link_local:
        return "link-local"
    return "other"


def is_local_host(host: str) -> bool:
    """True when ``host`` is loopback or unspecified (this machine; VIBE-91 forbids it)."""
    return classify_host(host) in LOCAL_CLASSES


def host_of(item: str) -> str | None:
    """The host of one endpoint: a URL (``scheme://[user[:pw]@]host[:port][/…]``), ``host``,
    ``host:port``, ``user@host[:port]``, ``[v6]`` / ``[v6]:port`` or a bare IPv6 address.
    ``None`` when there is none (empty, ``file:///…``, an unparsable URL)."""
    item = item.strip()
    if not item:
        return None
    if "://" in item:
        try:
            return urlsplit(item).hostname or None
        except ValueError:
            return None
    rest = item.rsplit("@", 1)[-1].split("/", 1)[0]
    if rest.startswith("["):
        end = rest.find("]")
        return rest[1:end] if end > 1 else None
    if rest.count(":") == 1:
        rest = rest.split(":", 1)[0]
    return rest or None


def hosts_in(value: str) -> list[str]:
    """The host of every comma-separated element of ``value`` (broker lists such as
    ``KAFKA_BOOTSTRAP_SERVERS=a:9092,localhost:9093`` give ``["a", "localhost"]``)."""
    out = []
    for part in value.split(","):
        host = host_of(part)
        if host:
            out.append(host)
    return out


def local_hosts(value: str) -> list[str]:
    """The hosts of ``value`` (element by element) that are loopback or unspecified."""
    return [host for host in hosts_in(value) if is_local_host(host)]


def is_local_value(value: str) -> bool:
    """True when any element of ``value`` points at this machine (see :func:`local_hosts`)."""
    return any(is_local_host(host) for host in hosts_in(value))


#: A cheap screen for text that *may* name this machine (five literal alternatives, so that it
#: stays fast on whole source files: the scan runs it over every file): ``localhost`` (its
#: subdomains and alias), ``127.`` (IPv4 loopback; :mod:`ipaddress` accepts only the dotted
#: quad), ``0.0.0.0``, ``::1`` (also ``0::1``, ``[::1]``) and ``0:0:0:0`` (the full IPv6 forms
#: ``0:0:0:0:0:0:0:1``, ``0:0:0:0:0:ffff:7f00:1``). Matches are candidates only (``x[::1]``,
#: ``127.example.com``); :func:`classify_host` decides.
#: Known gaps (local spellings the screen misses, so the scan does not see them as defaults):
#: the unspecified ``::`` / ``[::]``, ``::0001``, ``::0:1``, ``::ffff:7f00:1`` (IPv4-mapped in
#: hex) and the zero-padded full form ``0000:…:0001``. Literal alternatives for them, or a
#: ``::`` screen, measured 2-2.5x slower on 6,000 site-packages files (``::`` is in reST
#: markers and slices), so they are left to the scan's owner to weigh against its speed target.
LOCAL_HOST_HINT: re.Pattern = re.compile(r"localhost|127\.|::1|0\.0\.0\.0|0:0:0:0", re.IGNORECASE)


#: :data:`LOCAL_HOST_HINT` case-sensitively, for folded text (its literals are lower case).
_LOWER_HINT = re.compile(LOCAL_HOST_HINT.pattern)


def local_host_hint_spans(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of every :data:`LOCAL_HOST_HINT` match in ``text``, in order; the same
    spans as ``LOCAL_HOST_HINT.finditer(text)``, found about 3x faster on long texts by searching
    the text's :func:`~.folding.fold` case-sensitively. That is used when folding keeps every
    position (same length); otherwise (``ß``, ``ﬁ``) the case-insensitive pattern is searched."""
    lowered = fold(text)
    if len(lowered) == len(text):
        return (match.span() for match in _LOWER_HINT.finditer(lowered))
    return (match.span() for match in LOCAL_HOST_HINT.finditer(text))


def may_name_local_host(text: str) -> bool:
    """False only when ``text`` cannot hold a host :func:`is_local_host` accepts
    (:data:`LOCAL_HOST_HINT` does not match); True means "look closer"."""
    return LOCAL_HOST_HINT.search(text) is not None
