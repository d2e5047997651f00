"""HTTP checks against a real server on loopback: statuses, time limits, redirects, refused
connections, body and JSON-path conditions, TLS verification, and the headers sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.endpoints.conftest import Endpoints
from tests.endpoints.servers import certificate_files, closed_port, http_server


@pytest.fixture
async def server() -> AsyncIterator[str]:
    async with http_server() as url:
        yield url


async def _result(endpoints: Endpoints, url: str, **http: Any) -> dict[str, Any]:
    endpoint = await endpoints.create(type="http", target=url, http=http, timeoutSeconds=2)
    return await endpoints.check(endpoint["id"])


async def test_a_page_answering_200_is_up_with_its_status_and_response_time(endpoints: Endpoints, server: str) -> None:
    result = await _result(endpoints, f"{server}/ok")
    assert (result["status"], result["httpStatus"], result["error"]) == ("up", 200, None)
    assert result["responseMs"] > 0


async def test_a_server_error_is_down_naming_the_status_it_got_and_the_one_expected(
    endpoints: Endpoints, server: str
) -> None:
    result = await _result(endpoints, f"{server}/status/503")
    assert (result["status"], result["httpStatus"]) == ("down", 503)
    assert result["error"] == "HTTP 503 (expected 2xx)"


@pytest.mark.parametrize(
    ("code", "expected", "status"),
    [
        (404, "404", "up"),
        (201, "200,201", "up"),
        (302, "200-299", "down"),
        (418, "200-299,400-499", "up"),
        (500, "2xx,3xx", "down"),
    ],
)
async def test_the_expected_status_takes_codes_classes_and_ranges(
    endpoints: Endpoints, server: str, code: int, expected: str, status: str
) -> None:
    result = await _result(endpoints, f"{server}/status/{code}", expectedStatus=expected, maxRedirects=0)
    assert result["status"] == status


async def test_a_response_slower_than_the_timeout_is_down_as_timed_out(endpoints: Endpoints, server: str) -> None:
    endpoint = await endpoints.create(type="http", target=f"{server}/slow?seconds=5", timeoutSeconds=0.3)
    result = await endpoints.check(endpoint["id"])
    assert result["status"] == "down"
    assert result["error"] == "timed out after 0.3 s"


async def test_a_response_slower_than_its_limit_is_down_with_the_time_it_took(
    endpoints: Endpoints, server: str
) -> None:
    result = await _result(endpoints, f"{server}/slow?seconds=0.2", maxResponseMs=50)
    assert (result["status"], result["httpStatus"]) == ("down", 200)
    assert "above the limit of 50 ms" in result["error"]


async def test_a_redirect_loop_ends_at_the_redirect_limit(endpoints: Endpoints, server: str) -> None:
    result = await _result(endpoints, f"{server}/loop", maxRedirects=3)
    assert result["status"] == "down"
    assert result["error"].startswith("too many redirects (more than 3)")


async def test_redirects_within_the_limit_are_followed_and_none_when_the_limit_is_zero(
    endpoints: Endpoints, server: str
) -> None:
    assert (await _result(endpoints, f"{server}/hops/3", maxRedirects=3))["status"] == "up"
    unfollowed = await _result(endpoints, f"{server}/hops/3", maxRedirects=0)
    assert (unfollowed["status"], unfollowed["httpStatus"]) == ("down", 301)


async def test_a_refused_connection_is_down_with_the_reason(endpoints: Endpoints) -> None:
    result = await _result(endpoints, f"http://127.0.0.1:{closed_port()}/")
    assert result["status"] == "down"
    assert result["error"].startswith("cannot connect")


async def test_the_body_must_contain_the_text_asked_for(endpoints: Endpoints, server: str) -> None:
    assert (await _result(endpoints, f"{server}/ok", bodyContains="test server"))["status"] == "up"
    missing = await _result(endpoints, f"{server}/ok", bodyContains="maintenance")
    assert (missing["status"], missing["error"]) == ("down", 'the body does not contain "maintenance"')


async def test_json_path_conditions_must_all_hold(endpoints: Endpoints, server: str) -> None:
    holding = [
        '$.status == "ok"',
        "$.status == ok",
        "$.items[0].count >= 3",
        "$.items[-1].count == 5",
        '$.version contains "2."',
        "$.ready == true",
        "$.ready exists",
    ]
    assert (await _result(endpoints, f"{server}/json", jsonPath=holding))["status"] == "up"
    failing = await _result(endpoints, f"{server}/json", jsonPath=['$.status == "ok"', "$.items[1].count < 5"])
    assert failing["status"] == "down"
    assert failing["error"] == "$.items[1].count < 5 does not hold (found 5)"
    missing = await _result(endpoints, f"{server}/json", jsonPath=["$.missing != 1"])
    assert missing["error"] == "$.missing != 1 does not hold (found nothing at that path)"
    not_json = await _result(endpoints, f"{server}/ok", jsonPath=["$.status exists"])
    assert not_json["error"] == "the body is not JSON, so its JSON-path conditions cannot hold"


async def test_an_untrusted_certificate_fails_with_verification_and_passes_without(
    endpoints: Endpoints, tmp_path: Path
) -> None:
    async with http_server(certificate_files(tmp_path, "127.0.0.1", "localhost")) as url:
        verified = await _result(endpoints, f"{url}/ok")
        unverified = await _result(endpoints, f"{url}/ok", verifyTls=False)
    assert verified["status"] == "down"
    assert "CERTIFICATE_VERIFY_FAILED" in verified["error"] or "certificate" in verified["error"].lower()
    assert (unverified["status"], unverified["httpStatus"]) == ("up", 200)


async def test_the_configured_method_headers_and_body_are_sent_with_secrets_in_the_clear(
    endpoints: Endpoints, server: str
) -> None:
    secret = "Bearer sk-live-0123456789abcdef"
    headers = {"Authorization": secret, "X-Trace": "visible"}
    endpoint = await endpoints.create(
        type="http",
        target=f"{server}/headers",
        http={"headers": headers, "jsonPath": [f'$.authorization == "{secret}"']},
    )
    result = await endpoints.check(endpoint["id"])
    assert result["status"] == "up", result["error"]
    posted = await _result(endpoints, f"{server}/ok", method="post", body="{}", expectedStatus="200")
    assert posted["status"] == "up"
