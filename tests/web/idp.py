"""A small but real OpenID provider for the sign-in tests that a well-behaved provider cannot
give: ID tokens with the wrong audience or nonce, an expired one, one signed by a key the
provider does not publish.

It runs in a thread on ``http://localhost:PORT`` and speaks plain OpenID Connect (discovery,
JWKS, the authorization-code flow with PKCE), so central's real client talks to it over HTTP
exactly as to a municipality's provider; nothing of ours is patched.  ``/authorize`` asks
nobody anything: it redirects straight back with a code (for the subject in
:attr:`FaultyProvider.subject`) and the caller's state.  :attr:`FaultyProvider.fault` says how
the next ID token goes wrong (``None``: not at all).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

FAULTS = ("aud", "nonce", "expired", "unpublished_key", "unpublished_kid")


class FaultyProvider:
    """An OpenID provider in a thread; use as a context manager."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "published-1", "use": "sig"})
        self.fault: str | None = None
        self.subject = "person-1"
        self.claims: dict[str, Any] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.token_requests = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.issuer = f"http://localhost:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="faulty-idp", daemon=True)

    def __enter__(self) -> FaultyProvider:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    # -- what the endpoints answer ----------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid"],
        }

    def jwks(self) -> dict[str, Any]:
        return KeySet([self.key]).as_dict(private=False)

    def authorize(self, query: dict[str, str]) -> str:
        """The URL to send the browser back to: the redirect URI with a fresh code and the state."""
        if query.get("response_type") != "code" or "openid" not in query.get("scope", "").split():
            raise ValueError("not an OpenID authorization-code request")
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "client_id": query["client_id"],
            "redirect_uri": query["redirect_uri"],
            "nonce": query.get("nonce"),
            "challenge": query.get("code_challenge"),
            "sub": self.subject,
            "claims": dict(self.claims),
        }
        sep = "&" if "?" in query["redirect_uri"] else "?"
        return query["redirect_uri"] + sep + urlencode({"code": code, "state": query.get("state", "")})

    def token(self, form: dict[str, str], client_id: str | None) -> dict[str, Any]:
        """Exchange a code (once) for tokens; the ID token carries the configured fault."""
        self.token_requests += 1
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            raise ValueError("invalid_grant")
        if (client_id or form.get("client_id")) != grant["client_id"]:
            raise ValueError("invalid_client")
        if grant["challenge"]:
            verifier = form.get("code_verifier", "").encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
            if digest != grant["challenge"]:
                raise ValueError("invalid_grant")
        now = int(time.time())
        claims: dict[str, Any] = {
            **grant["claims"],
            "iss": self.issuer,
            "sub": grant["sub"],
            "aud": grant["client_id"],
            "iat": now,
            "exp": now + 300,
        }
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        key, kid = self.key, "published-1"
        match self.fault:
            case "aud":
                claims["aud"] = "some-other-client"
            case "nonce":
                claims["nonce"] = secrets.token_urlsafe(16)
            case "expired":
                claims["iat"], claims["exp"] = now - 3600, now - 1800
            case "unpublished_key":  # the published key's id, another key's signature
                key = RSAKey.generate_key(2048)
            case "unpublished_kid":
                key, kid = RSAKey.generate_key(2048), "not-published"
            case None:
                pass
            case other:
                raise AssertionError(f"unknown fault {other!r}")
        id_token = jwt.encode({"alg": "RS256", "kid": kid}, claims, key)
        return {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }


def _handler(idp: FaultyProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: object = None, headers: dict[str, str] | None = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._send(200, idp.discovery())
            elif url.path == "/jwks":
                self._send(200, idp.jwks())
            elif url.path == "/authorize":
                try:
                    self._send(302, headers={"Location": idp.authorize(query)})
                except (KeyError, ValueError) as exc:
                    self._send(400, {"error": "invalid_request", "error_description": str(exc)})
            else:
                self._send(404, {"error": "not_found"})

        def do_POST(self) -> None:
            if urlsplit(self.path).path != "/token":
                self._send(404, {"error": "not_found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            client_id = None
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                client_id = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
            try:
                self._send(200, idp.token(form, client_id))
            except ValueError as exc:
                self._send(400, {"error": str(exc)})

    return Handler
