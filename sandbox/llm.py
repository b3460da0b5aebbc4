"""An OpenAI-compatible chat endpoint (POST /v1/chat/completions) that the `openai` client talks to unchanged.

It is not a language model: a `policy` answers each request deterministically from the JSON the app sends,
so tests can play an agreeable model, a gullible one that obeys instructions hidden in CRM labels, one
that invents names, or a judge of duplicate-account pairs (same / related / different). It checks the request asks for a JSON-schema-constrained answer and keeps every request
body so tests can prove what was (and was not) sent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from sandbox.server import Request, Response, SandboxServer

Policy = Callable[[dict[str, Any]], list[dict[str, Any]]]


def first_candidate(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Agree with the engine's first candidate for every item."""
    return [
        {"id": item["id"], "target": item["candidates"][0], "reason": "closest meaning"} for item in payload["items"]
    ]


def last_candidate(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Prefer the engine's runner-up: shows the LLM can change the answer within the offered choices."""
    return [
        {"id": item["id"], "target": item["candidates"][-1], "reason": "the label fits better"}
        for item in payload["items"]
    ]


def judge_pairs_by_domain(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """For account pairs: 'same' when both have one domain, 'related' when one name opens the other, else
    'different' — a plausible judge whose every answer a test can predict."""
    answers = []
    for item in payload["items"]:
        a, b = item["a"], item["b"]
        if a.get("domain") and a.get("domain") == b.get("domain"):
            verdict = "same"
        elif any(x["name"].lower().startswith(y["name"].lower().split()[0] + " ") for x, y in ((a, b), (b, a))):
            verdict = "related"
        else:
            verdict = "different"
        answers.append({"id": item["id"], "target": verdict, "reason": f"by domain and name: {verdict}"})
    return answers


class ChatSandbox(SandboxServer):
    """POST {url}/v1/chat/completions; GET {url}/v1/models."""

    def __init__(
        self, policy: Policy = first_candidate, *, api_key: str | None = "sk-sandbox", model: str = "sandbox-mini"
    ) -> None:
        super().__init__()
        self.policy = policy
        self.api_key = api_key
        self.model = model
        self.delay_seconds = 0.0
        self.bodies: list[dict[str, Any]] = []

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def handle(self, request: Request) -> Response:
        if self.api_key and request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Response.json(
                {
                    "error": {
                        "message": "Incorrect API key provided.",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                },
                401,
            )
        if request.method == "GET" and request.path == "/v1/models":
            return Response.json(
                {"object": "list", "data": [{"id": self.model, "object": "model", "owned_by": "sandbox"}]}
            )
        if request.method != "POST" or request.path != "/v1/chat/completions":
            return Response.json(
                {"error": {"message": f"Unknown path {request.path}", "type": "invalid_request_error"}}, 404
            )
        body = request.json()
        self.bodies.append(body)
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        schema = (body.get("response_format") or {}).get("json_schema", {}).get("schema")
        if (body.get("response_format") or {}).get("type") != "json_schema" or not schema:
            return Response.json(
                {
                    "error": {
                        "message": "this sandbox only answers json_schema requests",
                        "type": "invalid_request_error",
                    }
                },
                400,
            )
        payload = json.loads(body["messages"][-1]["content"])
        content = json.dumps({"choices": self.policy(payload)})
        return Response.json(
            {
                "id": f"chatcmpl-{len(self.bodies)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", self.model),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
            }
        )
