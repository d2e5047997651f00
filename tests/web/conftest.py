from tests.support.alerting import hub, receiver

__all__ = ["hub", "receiver"]
