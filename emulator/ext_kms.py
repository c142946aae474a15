"""KMS: ScheduleKeyDeletion and CancelKeyDeletion accept a key ARN, as AWS does.

moto 5.2 indexes its keys by key id in these two calls only, so a key ARN (what amazon.aws.kms_key
sends: teardown schedules the deletion, a later provisioning cancels it) fails with a KeyError
(HTTP 500). The ARN is reduced to the key id before moto's backend sees it.
"""

from __future__ import annotations


def _by_key_id(original):
    def method(self, key_id, *args, **kwargs):
        return original(self, self.get_key_id(key_id), *args, **kwargs)

    method.__name__ = original.__name__
    method.__doc__ = original.__doc__
    return method


def install() -> None:
    from moto.kms.models import KmsBackend

    if getattr(KmsBackend, "_emulator_patched", False):
        return
    KmsBackend.schedule_key_deletion = _by_key_id(KmsBackend.schedule_key_deletion)
    KmsBackend.cancel_key_deletion = _by_key_id(KmsBackend.cancel_key_deletion)
    KmsBackend._emulator_patched = True
