"""Inventory (Device, Tunnel), polls with their raw outputs, SA state and counter history."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from devices import rawcodec
from devices.choices import (
    PkiForm,
    Platform,
    PollStatus,
    RollupPeriod,
    Transport,
    TunnelStatus,
)
from devices.contacts import language_codes, validate_email_list, validate_language
from devices.diagnosis.wording import EVIDENCE, FIX, shown_lines, shown_title
from devices.querysets import CounterSampleQuerySet, DeviceQuerySet, TunnelQuerySet
from devices.secret_refs import validate_reference
from vpnportal.fields import EncryptedTextField
from vpnportal.translated_text import render

NAME_HELP = _("Letters, digits, dot, dash and underscore only.")

# A device's encrypted credentials: pages and reports never need them, and not loading them means never
# decrypting (or leaking) them.
_ROW_ID_RE = re.compile(r"[0-9]{1,18}")


def as_row_id(ref: str) -> int | None:
    """The row id a reference (a URL or API value) spells: ASCII digits that fit a bigint, else None.

    `str.isdigit` is no test: "²" is a digit to it, and int() refuses it.
    """
    return int(ref) if _ROW_ID_RE.fullmatch(ref) else None


REF_HELP = _("env:NAME or file:/path, read at each poll (empty: the literal value, if any).")


class CredentialSet(models.Model):
    """Login credentials many devices share (the inventory's `credentials:`); each secret is a literal,
    encrypted at rest, or a reference (`env:NAME`, `file:/path`) resolved when a session opens."""

    name = models.SlugField(max_length=64, unique=True, help_text=NAME_HELP, allow_unicode=False)
    username = models.CharField(max_length=64, blank=True, default="")
    password = EncryptedTextField(blank=True, default="")
    password_ref = models.CharField(
        max_length=1100, blank=True, default="", validators=[validate_reference], help_text=REF_HELP
    )
    secret = EncryptedTextField(blank=True, default="", help_text=_("Enable password."))
    secret_ref = models.CharField(
        max_length=1100, blank=True, default="", validators=[validate_reference], help_text=REF_HELP
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("credential set")
        verbose_name_plural = _("credential sets")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Device(models.Model):
    """A router or firewall the poller logs into; credentials are encrypted at rest."""

    name = models.SlugField(max_length=64, unique=True, help_text=NAME_HELP, allow_unicode=False)
    host = models.CharField(
        max_length=255, help_text=_("IP address or DNS name of the management interface.")
    )
    port = models.PositiveIntegerField(default=22)
    platform = models.CharField(max_length=16, choices=Platform.choices)
    transport = models.CharField(max_length=8, choices=Transport.choices, default=Transport.SSH)
    username = models.CharField(max_length=64, blank=True, help_text=_("Empty: the credential set's."))
    password = EncryptedTextField(blank=True, default="")
    secret = EncryptedTextField(blank=True, default="", help_text=_("Enable password."))
    # The device's own fields win over its set's (devices/credentials.py:effective_credentials).
    credential_set = models.ForeignKey(
        CredentialSet,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="devices",
        help_text=_("Shared credentials; the device's own username, password and secret win."),
    )
    password_ref = models.CharField(
        max_length=1100, blank=True, default="", validators=[validate_reference], help_text=REF_HELP
    )
    secret_ref = models.CharField(
        max_length=1100, blank=True, default="", validators=[validate_reference], help_text=REF_HELP
    )
    host_key = models.TextField(
        blank=True,
        default="",
        help_text=_('Pinned SSH host key ("ssh-rsa AAAA..."); empty means pin on first contact.'),
    )
    host_key_pinned_at = models.DateTimeField(null=True, blank=True)
    pki_form = models.CharField(max_length=4, choices=PkiForm.choices, default=PkiForm.UNKNOWN, blank=True)
    enabled = models.BooleanField(default=True)
    next_poll_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Per-device overrides of the global thresholds (null: use settings).
    cert_warn_days = models.CharField(max_length=64, blank=True, default="", help_text=_('e.g. "30,7,1"'))
    crl_warn_hours = models.PositiveIntegerField(null=True, blank=True)
    clock_skew_warn_seconds = models.PositiveIntegerField(null=True, blank=True)
    weak_crypto_alerts = models.BooleanField(
        null=True,
        blank=True,
        help_text=_(
            "Alert on weak cryptography found on this device: yes, no, or unknown to follow "
            "ALERT_WEAK_CRYPTO (a legacy site known to run DES can stay quiet while the rest is watched)."
        ),
    )
    alert_emails = models.TextField(
        blank=True,
        default="",
        validators=[validate_email_list],
        help_text=_(
            "Addresses (comma-separated) that get this device's alerts and its tunnels', besides "
            "ALERT_EMAIL_TO: the people who look after this site."
        ),
    )
    silenced_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DeviceQuerySet.as_manager()

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Device {self.name} {self.platform} {self.host}:{self.port}>"


class Contact(models.Model):
    """Someone who gets alert emails, and the language they read them in (inventory `contacts:`)."""

    email = models.EmailField(unique=True)
    language = models.CharField(
        max_length=16,
        blank=True,
        default="",
        validators=[validate_language],
        help_text="A code of LANGUAGES (en, ja) for this address's alert emails; empty: LANGUAGE_CODE.",
    )

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @classmethod
    def languages_of(cls, addresses: Iterable[str]) -> dict[str, str]:
        """The language of each address's alert emails: its contact's, else LANGUAGE_CODE (addresses
        match whatever their case)."""
        known = {
            email.lower(): language
            for email, language in cls.objects.exclude(language="").values_list("email", "language")
            if language in language_codes()
        }
        return {address: known.get(address.lower(), settings.LANGUAGE_CODE) for address in addresses}


class Tunnel(models.Model):
    """A LAN-to-LAN tunnel between two devices, named in the inventory or discovered by SPI mirror."""

    name = models.SlugField(max_length=128, unique=True)
    end_a = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="tunnels_as_a")
    end_b = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="tunnels_as_b")
    discovered = models.BooleanField(
        default=False, help_text=_("Found by mirrored SPIs, not in the inventory.")
    )
    status = models.CharField(max_length=16, choices=TunnelStatus.choices, default=TunnelStatus.UNKNOWN)
    status_reason = models.CharField(max_length=500, blank=True, default="")
    # The reason as a deferred text (vpnportal/translated_text.py): pages show it in the reader's language.
    status_reason_text = models.JSONField(default=dict, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    spi_mirror_ok = models.BooleanField(null=True)
    one_way_polls = models.PositiveIntegerField(default=0)
    silenced_until = models.DateTimeField(null=True, blank=True)
    down_after_polls = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Polls a condition must hold before it fires (default from settings)."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TunnelQuerySet.as_manager()

    class Meta:
        verbose_name = _("tunnel")
        verbose_name_plural = _("tunnels")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(end_a=models.F("end_b")), name="tunnel_ends_differ"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ends(self) -> tuple[Device, Device]:
        """Both ends, in inventory order."""
        return (self.end_a, self.end_b)

    def shown_reason(self) -> str:
        """Why the tunnel has its status, in the active language; the English column when the reason
        was recorded before there were deferred texts."""
        return render(self.status_reason_text or None, fallback=self.status_reason)


class RawOutput(models.Model):
    """A device output as received, stored once per distinct content (sha256), zlib-compressed."""

    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # A constraint, not unique=True: on PostgreSQL that would add a second (LIKE) index no query uses.
        constraints = [models.UniqueConstraint(fields=["sha256"], name="rawoutput_sha256_unique")]

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.size} bytes)"

    def data(self) -> bytes:
        """The output as received (redacted), exactly."""
        return rawcodec.inflate(bytes(self.content))


class Poll(models.Model):
    """One poll of one device: when, how it ended and why; the state change is a row."""

    # No index of its own: the (device, slot) constraint and the (device, started_at) index lead with it.
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="polls", db_index=False)
    # The claim token makes a duplicated task harmless: one (device, slot) is stored once.
    slot = models.DateTimeField(help_text=_("The next_poll_at value this poll claimed."))
    status = models.CharField(max_length=16, choices=PollStatus.choices, default=PollStatus.RUNNING)
    reason = models.TextField(blank=True, default="")
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    timings = models.JSONField(
        default=dict, blank=True, help_text=_("Seconds spent in connect/commands/parse/store.")
    )
    warnings = models.JSONField(default=list, blank=True)
    task_id = models.CharField(max_length=64, blank=True, default="")
    # False: the poll stored a PollOutput only for the outputs that differ from the device's previous
    # poll's; its other outputs are the latest earlier rows back to a complete poll (devices/rawstore.py).
    outputs_complete = models.BooleanField(
        default=True, help_text="Every output of the poll has a PollOutput row of its own."
    )

    class Meta:
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        ordering = ["-started_at"]
        constraints = [models.UniqueConstraint(fields=["device", "slot"], name="one_poll_per_claim")]
        # Ascending: PostgreSQL reads it backwards for the newest polls just as fast, and packs its pages
        # (a device's new entry lands after its last one); descending, every page split left them half full.
        indexes = [models.Index(fields=["device", "started_at"], name="poll_device_started")]

    def __str__(self) -> str:
        return f"{self.device} {self.started_at:%Y-%m-%d %H:%M:%S} {self.status}"


class PollOutput(models.Model):
    """What one command printed during a poll, with its parse outcome; a poll that is not
    `outputs_complete` has rows only for what changed since its previous poll: read a poll's outputs
    with `devices.rawstore.poll_outputs`, never by `poll=`."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="outputs")
    command = models.CharField(max_length=128)
    raw = models.ForeignKey(RawOutput, on_delete=models.PROTECT, related_name="uses", null=True, blank=True)
    # Empty: `raw` is this output. Else this output as a delta against `raw` (devices/rawcodec.py). Not
    # null: a null column gives the row a null bitmap, 8 bytes more on PostgreSQL.
    delta = models.BinaryField(
        default=b"", blank=True, help_text=_("The output as a delta against raw (the previous output).")
    )
    error = models.TextField(blank=True, default="")
    warnings = models.JSONField(default=list, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.poll_id}: {self.command}"

    def data(self) -> bytes:
        """What the command printed (redacted), exactly: the raw output itself or the delta applied to it."""
        if self.raw is None:
            return b""
        base = self.raw.data()
        return rawcodec.delta_decode(bytes(self.delta), base) if self.delta else base


class DeviceState(models.Model):
    """The latest known facts about a device; stale when the last poll failed."""

    device = models.OneToOneField(Device, on_delete=models.CASCADE, related_name="state")
    last_poll = models.ForeignKey(Poll, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    last_ok_poll = models.ForeignKey(Poll, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    stale = models.BooleanField(default=True)
    device_clock = models.DateTimeField(null=True, blank=True)
    clock_read_at = models.DateTimeField(null=True, blank=True)
    clock_skew_seconds = models.FloatField(null=True, blank=True)
    clock_authoritative = models.BooleanField(null=True)
    hostname = models.CharField(max_length=128, blank=True, default="")
    domain_name = models.CharField(max_length=255, blank=True, default="")
    isakmp_identity = models.CharField(max_length=32, blank=True, default="")
    config_facts = models.JSONField(default=dict, blank=True)
    engine = models.JSONField(default=dict, blank=True, help_text=_("Parsed crypto engine output."))
    # Counters for /metrics: they only grow (pruning old Poll rows does not lower them), as Prometheus
    # counters must, and reading them costs nothing however many polls are stored.
    polls_total = models.BigIntegerField(default=0, help_text=_("Polls of the device finished so far."))
    poll_failures_total = models.BigIntegerField(default=0, help_text=_("Of those, the polls that failed."))
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"state of {self.device}"


class IkeSa(models.Model):
    """A phase 1 (ISAKMP/IKE) SA as the device last reported it."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="ike_sas")
    dst = models.GenericIPAddressField(null=True, blank=True)
    src = models.GenericIPAddressField(null=True, blank=True)
    peer = models.GenericIPAddressField(null=True, blank=True)
    state = models.CharField(max_length=32, blank=True, default="")
    conn_id = models.IntegerField(null=True, blank=True)
    slot = models.IntegerField(null=True, blank=True)
    status = models.CharField(max_length=32, blank=True, default="")
    version = models.CharField(max_length=8, blank=True, default="")
    role = models.CharField(max_length=16, blank=True, default="")
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=True, db_index=True)

    class Meta:
        ordering = ["device", "peer"]

    # Phase 1 complete: IKEv1 main/quick mode idle (IOS, PIX) or MM_ACTIVE (ASA), IKEv2 READY.
    ESTABLISHED = frozenset({"QM_IDLE", "MM_ACTIVE", "READY"})

    def __str__(self) -> str:
        return f"IKE {self.src}->{self.dst} {self.shown_state}"

    @property
    def shown_state(self) -> str:
        """The state as the device names it (IKEv2 SAs have only a status)."""
        return self.state or self.status

    @property
    def established(self) -> bool:
        """Whether phase 1 is complete."""
        return self.shown_state.upper() in self.ESTABLISHED


# IpsecSa columns filled from the parsed counters of the same name, in the order the API lists them.
COUNTER_FIELDS = (
    "pkts_encaps",
    "pkts_encrypt",
    "pkts_digest",
    "pkts_decaps",
    "pkts_decrypt",
    "pkts_verify",
    "send_errors",
    "recv_errors",
)


class IpsecSa(models.Model):
    """Phase 2 SAs of one ident pair on one device (its own row per ident pair), with the latest counters."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="ipsec_sas")
    tunnel = models.ForeignKey(
        Tunnel, on_delete=models.SET_NULL, null=True, blank=True, related_name="ipsec_sas"
    )
    interface = models.CharField(max_length=64, blank=True, default="")
    crypto_map = models.CharField(max_length=64, blank=True, default="")
    local_addr = models.GenericIPAddressField(null=True, blank=True)
    current_peer = models.GenericIPAddressField(null=True, blank=True)
    local_ident = models.CharField(max_length=128, help_text=_("addr/mask/prot/port"))
    remote_ident = models.CharField(max_length=128, help_text=_("addr/mask/prot/port"))
    inbound_spi = models.BigIntegerField(null=True, blank=True)
    outbound_spi = models.BigIntegerField(null=True, blank=True)
    transform = models.CharField(max_length=128, blank=True, default="")
    mode = models.CharField(max_length=16, blank=True, default="")
    remaining_kb = models.BigIntegerField(null=True, blank=True)
    remaining_sec = models.BigIntegerField(null=True, blank=True)
    pkts_encaps = models.BigIntegerField(default=0)
    pkts_decaps = models.BigIntegerField(default=0)
    pkts_encrypt = models.BigIntegerField(default=0)
    pkts_decrypt = models.BigIntegerField(default=0)
    pkts_digest = models.BigIntegerField(default=0)
    pkts_verify = models.BigIntegerField(default=0)
    send_errors = models.BigIntegerField(default=0)
    recv_errors = models.BigIntegerField(default=0)
    counters = models.JSONField(default=dict, blank=True, help_text=_("Every counter the device printed."))
    sas = models.JSONField(default=dict, blank=True, help_text=_("inbound/outbound ESP/AH SAs as parsed."))
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=True, db_index=True)

    class Meta:
        ordering = ["device", "local_ident", "remote_ident"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "interface", "local_ident", "remote_ident", "current_peer"],
                name="one_ipsec_row_per_ident_pair",
            )
        ]

    def __str__(self) -> str:
        return f"{self.device} {self.local_ident} <-> {self.remote_ident}"


class CounterSample(models.Model):
    """Counters of one ident pair at one poll, with reset-aware deltas since the previous sample."""

    ipsec_sa = models.ForeignKey(IpsecSa, on_delete=models.CASCADE, related_name="samples")
    poll = models.ForeignKey(Poll, on_delete=models.SET_NULL, null=True, blank=True, related_name="samples")
    at = models.DateTimeField(db_index=True)
    inbound_spi = models.BigIntegerField(null=True, blank=True)
    outbound_spi = models.BigIntegerField(null=True, blank=True)
    pkts_encaps = models.BigIntegerField(default=0)
    pkts_decaps = models.BigIntegerField(default=0)
    send_errors = models.BigIntegerField(default=0)
    recv_errors = models.BigIntegerField(default=0)
    other_errors = models.BigIntegerField(
        default=0, help_text=_("Replay, verify and other failure counters.")
    )
    # Deltas since the previous sample; a counter that went down (reboot, rekey) counts from zero.
    d_encaps = models.BigIntegerField(default=0)
    d_decaps = models.BigIntegerField(default=0)
    d_errors = models.BigIntegerField(default=0)
    interval_seconds = models.FloatField(default=0)
    reset = models.BooleanField(default=False)

    objects = CounterSampleQuerySet.as_manager()

    class Meta:
        ordering = ["at"]
        indexes = [models.Index(fields=["ipsec_sa", "at"])]

    def __str__(self) -> str:
        return f"{self.ipsec_sa_id} @ {self.at:%Y-%m-%d %H:%M:%S}"


class CounterRollup(models.Model):
    """Summed deltas of one ident pair over an hour or a day, kept longer than raw samples."""

    ipsec_sa = models.ForeignKey(IpsecSa, on_delete=models.CASCADE, related_name="rollups")
    period = models.CharField(max_length=8, choices=RollupPeriod.choices)
    bucket = models.DateTimeField()
    samples = models.PositiveIntegerField(default=0)
    d_encaps = models.BigIntegerField(default=0)
    d_decaps = models.BigIntegerField(default=0)
    d_errors = models.BigIntegerField(default=0)
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["bucket"]
        # On PostgreSQL its index also INCLUDEs the deltas and seconds (migration 0013): history reads it only.
        constraints = [
            models.UniqueConstraint(fields=["ipsec_sa", "period", "bucket"], name="one_rollup_per_bucket")
        ]

    def __str__(self) -> str:
        return f"{self.ipsec_sa_id} {self.period} {self.bucket:%Y-%m-%d %H:%M}"


class Finding(models.Model):
    """A diagnosis finding on a device, or on a tunnel's two ends together; kept while it holds."""

    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, null=True, blank=True, related_name="findings"
    )
    tunnel = models.ForeignKey(
        Tunnel, on_delete=models.CASCADE, null=True, blank=True, related_name="findings"
    )
    code = models.CharField(max_length=64, db_index=True)
    subject = models.CharField(max_length=255)
    severity = models.CharField(max_length=16, db_index=True)
    title = models.CharField(max_length=500)
    evidence = models.JSONField(default=list, blank=True, help_text=_("Lines quoted from the outputs."))
    fix = models.JSONField(default=list, blank=True, help_text=_("Suggested commands for the platform."))
    fix_device = models.CharField(
        max_length=64, blank=True, default="", help_text=_("The end a pair fix is for.")
    )
    poll = models.ForeignKey(Poll, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=True, db_index=True)
    # The title and the remarks among evidence and fix as deferred texts (devices/diagnosis/wording.py),
    # beside the English columns above; empty for findings stored before there were.
    texts = models.JSONField(
        default=dict,
        blank=True,
        help_text="Title and remarks as deferred texts, shown in the reader's language.",
    )

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["-active", "severity", "code", "subject"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "code", "subject"],
                condition=models.Q(tunnel__isnull=True),
                name="one_finding_per_device_code_subject",
            ),
            models.UniqueConstraint(
                fields=["tunnel", "code", "subject"],
                condition=models.Q(tunnel__isnull=False),
                name="one_finding_per_tunnel_code_subject",
            ),
            models.CheckConstraint(
                condition=models.Q(device__isnull=False) | models.Q(tunnel__isnull=False),
                name="finding_has_a_device_or_tunnel",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device or self.tunnel} {self.code} {self.subject}"

    def shown_title(self) -> str:
        """The title in the active language (the English `title` when no deferred form is stored)."""
        return shown_title(self.texts, self.title)

    def shown_evidence(self) -> list[str]:
        """The evidence lines, vpnportal's remarks in the active language, device lines as printed."""
        return shown_lines(self.texts, EVIDENCE, self.evidence or [])

    def shown_fix(self) -> list[str]:
        """The suggested lines, remarks (`! ...`) in the active language, commands as the device takes them."""
        return shown_lines(self.texts, FIX, self.fix or [])


class Diagnosis(models.Model):
    """Which poll a device's findings were last computed from, so unchanged devices are not re-parsed."""

    device = models.OneToOneField(Device, on_delete=models.CASCADE, related_name="diagnosis")
    poll = models.ForeignKey(Poll, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    diagnosed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"diagnosis of {self.device}"


__all__ = [
    "CounterRollup",
    "CounterSample",
    "Device",
    "DeviceState",
    "Diagnosis",
    "Finding",
    "IkeSa",
    "IpsecSa",
    "Poll",
    "PollOutput",
    "RawOutput",
    "Tunnel",
]
