"""Payments (PAYMENTS.md A2, DESIGN.md §3 thanhtoan): the payment order of a dossier with the
fee terms it was received under, one attempt per try, every callback kept raw, every change
an event, receipts numbered per agency and year. Money is integer đồng, never float."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hoso.models import Dossier
from portal.models import Agency, User
from thanhtoan.choices import AttemptStatus, CallbackKind, Method, OrderStatus, Provider
from tthc.choices import FeeKind


class PaymentOrder(models.Model):
    """What a dossier owes (YeuCauThanhToan): the quoted items frozen when the order is made;
    paid when an attempt is (PAYMENTS.md A2). `timing` is when it must be paid (tthc
    FeeTiming: at intake, before processing, at return)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="payments")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("cơ quan thu"))
    reference = models.CharField(_("mã yêu cầu thanh toán"), max_length=60, unique=True)
    items = models.JSONField(_("các khoản thu"), default=list)
    amount = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    fee_amount = models.PositiveBigIntegerField(_("phí (đồng)"), default=0)
    charge_amount = models.PositiveBigIntegerField(_("lệ phí (đồng)"), default=0)
    timing = models.CharField(_("thời điểm thu"), max_length=20)
    status = models.CharField(_("trạng thái"), max_length=20, choices=OrderStatus.choices,
                              default=OrderStatus.UNPAID)
    method = models.CharField(_("hình thức thanh toán"), max_length=10, choices=Method.choices,
                              blank=True)
    paid_at = models.DateTimeField(_("thời điểm thanh toán"), null=True, blank=True)
    paid_attempt = models.ForeignKey("PaymentAttempt", on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+")
    created_at = models.DateTimeField(_("thời điểm tạo"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("yêu cầu thanh toán")
        verbose_name_plural = _("yêu cầu thanh toán")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # one live order per dossier: a new one only after the old is cancelled/refunded
            models.UniqueConstraint(fields=["dossier"], name="one_live_payment_order",
                                    condition=models.Q(status__in=["unpaid", "awaiting",
                                                                   "paid"])),
        ]
        indexes = [models.Index(fields=["agency", "status", "created_at"],
                                name="payment_agency_status")]

    def __str__(self) -> str:
        return self.reference


class PaymentAttempt(models.Model):
    """One try: a redirect to a gateway, a cash collection, a transfer to confirm. The
    merchant reference `txn_ref` is unique and never reused (PAYMENTS.md A1)."""

    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="attempts")
    provider = models.CharField(_("kênh thanh toán"), max_length=20, choices=Provider.choices)
    txn_ref = models.CharField(_("mã tham chiếu giao dịch"), max_length=100, unique=True)
    amount = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    status = models.CharField(_("trạng thái"), max_length=20, choices=AttemptStatus.choices,
                              default=AttemptStatus.CREATED)
    provider_txn_id = models.CharField(_("mã giao dịch của cổng"), max_length=100, blank=True)
    bank_code = models.CharField(_("ngân hàng"), max_length=40, blank=True)
    response_code = models.CharField(_("mã kết quả"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("thời điểm tạo"), default=timezone.now)
    expires_at = models.DateTimeField(_("hết hạn lúc"), null=True, blank=True)
    paid_at = models.DateTimeField(_("thời điểm thanh toán"), null=True, blank=True)
    settled_on = models.DateField(_("ngày đối soát khớp"), null=True, blank=True)
    last_query_at = models.DateTimeField(_("lần truy vấn gần nhất"), null=True, blank=True)
    # late_payment, duplicate_payment, amount_mismatch, needs_review (PAYMENTS.md A2)
    flags = models.JSONField(_("cờ"), default=list, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("cán bộ thu"))
    note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        verbose_name = _("giao dịch thanh toán")
        verbose_name_plural = _("giao dịch thanh toán")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="attempt_status_created",
                                condition=models.Q(status__in=["created", "pending",
                                                               "review"]))]

    def __str__(self) -> str:
        return self.txn_ref


class PaymentEvent(models.Model):
    """Append-only history of orders and attempts: every state change, who or what did it."""

    order = models.ForeignKey(PaymentOrder, on_delete=models.CASCADE, related_name="events")
    attempt = models.ForeignKey(PaymentAttempt, on_delete=models.CASCADE, null=True,
                                blank=True, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=40)
    status_before = models.CharField(max_length=20, blank=True)
    status_after = models.CharField(max_length=20, blank=True)
    source = models.CharField(_("nguồn"), max_length=20, blank=True)  # ipn, query, officer…
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("lịch sử thanh toán")
        verbose_name_plural = _("lịch sử thanh toán")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.status_before}→{self.status_after}"


class PaymentCallback(models.Model):
    """Every message a gateway sent us (or we got back from a query), kept raw before anything
    else happens, with what we answered (PAYMENTS.md A2)."""

    provider = models.CharField(max_length=20, choices=Provider.choices)
    kind = models.CharField(max_length=20, choices=CallbackKind.choices)
    received_at = models.DateTimeField(default=timezone.now)
    txn_ref = models.CharField(max_length=100, blank=True, db_index=True)
    raw = models.JSONField(default=dict)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    signature_ok = models.BooleanField(null=True)
    answer = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=64, db_index=True)

    class Meta:
        verbose_name = _("thông điệp từ cổng thanh toán")
        verbose_name_plural = _("thông điệp từ cổng thanh toán")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} {self.txn_ref}"


class ReceiptCounter(models.Model):
    """The receipt number series of an agency, per year and kind (phí / lệ phí)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=FeeKind.choices)
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "year", "kind"],
                                               name="unique_receipt_series")]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.year}/{self.kind}: {self.value}"


class Receipt(models.Model):
    """Biên lai điện tử: one per paid order and kind (phí and lệ phí apart), numbered in the
    collecting agency's series for the year."""

    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="receipts")
    kind = models.CharField(_("loại"), max_length=10, choices=FeeKind.choices)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField(_("số"))
    series = models.CharField(_("ký hiệu"), max_length=30)
    amount = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    items = models.JSONField(default=list)
    payer_name = models.CharField(_("người nộp"), max_length=255)
    method = models.CharField(max_length=10, choices=Method.choices)
    issued_at = models.DateTimeField(_("ngày lập"), default=timezone.now)

    class Meta:
        verbose_name = _("biên lai")
        verbose_name_plural = _("biên lai")
        ordering = ["issued_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "kind"], name="one_receipt_per_kind"),
            models.UniqueConstraint(fields=["agency", "year", "kind", "number"],
                                    name="unique_receipt_number"),
        ]

    def __str__(self) -> str:
        return f"{self.series} số {self.number:07d}"


class ReconciliationRun(models.Model):
    """One imported settlement file (đối soát); a file is imported once (its SHA-256)."""

    provider = models.CharField(max_length=20, choices=Provider.choices)
    day = models.DateField(_("ngày giao dịch"), null=True, blank=True)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, unique=True)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    counts = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("lần đối soát")
        verbose_name_plural = _("lần đối soát")
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.provider} {self.file_name}"


class ReconciliationItem(models.Model):
    """One line of a run: matched, or the kind of mismatch found."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=30)  # matched, missing_ours, missing_theirs, amount…
    txn_ref = models.CharField(max_length=100, blank=True)
    attempt = models.ForeignKey(PaymentAttempt, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    our_amount = models.PositiveBigIntegerField(null=True, blank=True)
    their_amount = models.PositiveBigIntegerField(null=True, blank=True)
    their_status = models.CharField(max_length=20, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.txn_ref}"


class SandboxTransaction(models.Model):
    """The built-in sandbox gateways' own books (PAYMENT_SANDBOX): what "the bank side" knows
    about each payment it was asked for, so queries, IPN retries and settlement files come
    from the gateway's view and not from ours."""

    provider = models.CharField(max_length=20, choices=Provider.choices)
    txn_ref = models.CharField(max_length=100)
    merchant = models.CharField(max_length=40)
    amount = models.PositiveBigIntegerField()  # đồng
    transaction_no = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=20, default="created")  # created/paid/failed/…
    response_code = models.CharField(max_length=10, blank=True)
    bank_code = models.CharField(max_length=20, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    request = models.JSONField(default=dict)  # the signed request as received
    ipn_attempts = models.PositiveSmallIntegerField(default=0)
    ipn_answer = models.JSONField(default=dict, blank=True)
    faults = models.JSONField(default=list, blank=True)  # fault switches for this payment

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "txn_ref"],
                                               name="unique_sandbox_txn")]

    def __str__(self) -> str:
        return f"{self.provider} {self.txn_ref} {self.status}"
