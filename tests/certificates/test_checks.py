"""What a check reads and how it judges: real TLS servers on loopback with trustme
certificates, the hub trusting the test's CA."""

from __future__ import annotations

from tests.certificates.conftest import Certificates
from tests.certificates.tls import days, free_port, issued, now, self_signed


async def test_a_valid_certificate_is_read_in_full(certificates: Certificates) -> None:
    async with certificates.server(certificates.issued("localhost", "www.localhost")) as server:
        detail = await certificates.checked(server.port)
    assert detail["status"] == "valid"
    assert detail["problems"] == []
    assert 88 <= detail["daysLeft"] <= 90
    check = detail["lastCheck"]
    assert check["chainValid"] is True and check["hostnameMatch"] is True
    assert check["sans"] == ["localhost", "www.localhost"]
    assert check["tlsVersion"] == "TLSv1.3"
    assert (check["keyType"], check["keyBits"]) == ("EC secp256r1", 256)
    assert check["serial"] and check["notBefore"] and check["notAfter"]
    assert "trustme" in check["issuer"]
    [leaf] = check["chain"]
    assert leaf["subject"] == check["subject"]


async def test_an_expired_certificate_is_still_read_and_is_expired(certificates: Certificates) -> None:
    served = certificates.issued(not_before=now() - days(100), not_after=now() - days(2))
    async with certificates.server(served) as server:
        detail = await certificates.checked(server.port)
    assert detail["status"] == "expired"
    assert detail["daysLeft"] in (-2, -3)
    assert detail["lastCheck"]["chainReason"] == "expired"
    assert detail["problems"] == ["expired"]


async def test_a_certificate_not_yet_valid_is_an_error_with_its_reason(certificates: Certificates) -> None:
    served = certificates.issued(not_before=now() + days(2), not_after=now() + days(100))
    async with certificates.server(served) as server:
        detail = await certificates.checked(server.port)
    assert detail["status"] == "error"
    assert detail["chainReason"] == "not_yet_valid"
    assert detail["problems"] == ["chain_invalid"]


async def test_a_wrong_hostname_is_a_mismatch_with_a_trusted_chain(certificates: Certificates) -> None:
    async with certificates.server(certificates.issued("other.example")) as server:
        detail = await certificates.checked(server.port)
    assert detail["status"] == "error"
    assert detail["hostnameMatch"] is False
    assert detail["lastCheck"]["chainValid"] is True
    assert detail["problems"] == ["hostname_mismatch"]


async def test_a_wildcard_covers_one_label(certificates: Certificates) -> None:
    async with certificates.server(certificates.issued("*.example.test")) as server:
        one_label = await certificates.checked(server.port, sni="www.example.test")
        two_labels = await certificates.checked(server.port, sni="a.b.example.test")
    assert one_label["hostnameMatch"] is True
    assert two_labels["hostnameMatch"] is False


async def test_a_self_signed_certificate_is_read_and_named_self_signed(certificates: Certificates) -> None:
    async with certificates.server(self_signed()) as server:
        detail = await certificates.checked(server.port)
    assert detail["status"] == "error"
    assert detail["chainReason"] == "self_signed"
    assert detail["lastCheck"]["subject"] == "CN=localhost"
    assert detail["problems"] == ["chain_invalid"]


async def test_a_chain_missing_its_intermediate_is_not_trusted(certificates: Certificates) -> None:
    intermediate = certificates.ca.create_child_ca()
    async with certificates.server(issued(intermediate, without_intermediates=True)) as server:
        incomplete = await certificates.checked(server.port)
    async with certificates.server(issued(intermediate)) as server:
        whole = await certificates.checked(server.port)
    assert incomplete["status"] == "error"
    assert incomplete["chainReason"] == "unknown_issuer"
    assert "incomplete chain" in incomplete["lastCheck"]["chainDetail"]
    assert len(incomplete["lastCheck"]["chain"]) == 1
    assert whole["status"] == "valid"
    assert len(whole["lastCheck"]["chain"]) == 2


async def test_a_refused_connection_is_an_error_with_no_certificate(certificates: Certificates) -> None:
    detail = await certificates.checked(free_port())
    assert detail["status"] == "error"
    assert detail["error"] == "connection refused"
    assert detail["daysLeft"] is None
    assert detail["lastCheck"]["chain"] == []


async def test_a_certificate_within_the_highest_threshold_is_expiring(certificates: Certificates) -> None:
    async with certificates.server(certificates.issued(not_after=now() + days(20))) as server:
        detail = await certificates.checked(server.port)
    assert detail["status"] == "expiring"
    assert detail["daysLeft"] in (19, 20)  # the hub's clock was frozen just before the certificate was made
    assert detail["problems"] == ["expiring"]


async def test_the_list_is_sorted_by_days_left(certificates: Certificates) -> None:
    async with certificates.server(certificates.issued(not_after=now() + days(200))) as late:
        far = await certificates.create(late.port)
        async with certificates.server(certificates.issued(not_after=now() + days(40))) as soon:
            near = await certificates.create(soon.port)
            await certificates.check()
    never = await certificates.create(free_port(), host="localhost", sni=None)
    response = await certificates.api.get("/api/v1/certificates")
    ids = [item["id"] for item in response.json()]
    assert ids == [near["id"], far["id"], never["id"]]
