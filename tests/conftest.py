"""Shared test set-up: one CPU thread, and no network.

Every test runs with outbound network blocked: ``socket.connect``/``connect_ex``, ``socket.create_connection``
and name lookups refuse any address that is not loopback (127.0.0.0/8, ::1, "localhost") or a unix socket.
So a passing suite proves hlkit needs no network (nbval's kernel talks zmq over loopback, which stays allowed).
"""

from __future__ import annotations

import ipaddress
import socket

import pytest
import torch

torch.set_num_threads(1)   # tiny models; the machine is shared (hlkit restores thread counts it changes)


class NetworkBlocked(OSError):
    """Raised by the test guard when code tries to reach a non-loopback address."""


def _is_local_host(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host).split("%")[0]           # IPv6 scope id
    if host.lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False                          # a host name other than localhost: would need DNS
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _allowed(sock_family, address) -> bool:
    if sock_family == getattr(socket, "AF_UNIX", object()) or isinstance(address, (str, bytes)):
        return True                           # unix sockets are files, not network
    if isinstance(address, tuple) and address:
        return _is_local_host(address[0])
    return False


def _refuse(address):
    raise NetworkBlocked(f"network access is blocked in tests: tried to reach {address!r}")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Block outbound network for every test; yields the exception class the guard raises."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_create, real_getaddrinfo = socket.create_connection, socket.getaddrinfo

    def connect(self, address):
        if not _allowed(self.family, address):
            _refuse(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        if not _allowed(self.family, address):
            _refuse(address)
        return real_connect_ex(self, address)

    def create_connection(address, *args, **kwargs):
        if not _allowed(socket.AF_INET, address):
            _refuse(address)
        return real_create(address, *args, **kwargs)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local_host(host):
            _refuse(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield NetworkBlocked
