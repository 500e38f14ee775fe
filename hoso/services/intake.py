"""Intake: online drafts and submission, desk and postal intake, checking online submissions,
receiving (code, due time, terms snapshot, slip version), asking for completion, refusing.

Every verb is one transaction; files stored by a failed verb are deleted (no orphan files).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hoso import codes, routing
from hoso.choices import (
    Action,
    Channel,
    DocumentSource,
    DossierStatus,
    IdType,
    OwnerType,
    ResultDelivery,
    SlipVersion,
)
from hoso.models import Dossier, DossierDocument, private_storage
from hoso.services import wallet
from hoso.uploads import check_upload, cleanup_on_failure
from hoso.workflow import apply_to_new, apply_transition
from portal.calendar import get_calendar
from portal.choices import TimeUnit
from portal.errors import InvalidInput
from portal.models import Agency, User
from tthc.choices import Channel as ProcedureChannel
from tthc.eforms import validate_data
from tthc.models import Procedure

DESK_CHANNELS = frozenset({Channel.DIRECT, Channel.POSTAL})


@dataclass
class Applicant:
    """Who the dossier is for (owner) and who hands it in (submitter, if someone else)."""

    owner_name: str
    owner_id_number: str
    owner_type: str = OwnerType.CITIZEN
    owner_id_type: str = IdType.CCCD
    owner_phone: str = ""
    owner_email: str = ""
    owner_address: str = ""
    submitter_name: str = ""
    submitter_id_number: str = ""
    submitter_phone: str = ""
    submitter_relation: str = ""

    @classmethod
    def from_account(cls, user: User) -> Applicant:
        return cls(owner_name=user.full_name, owner_id_number=user.cccd or user.tax_code or "",
                   owner_id_type=IdType.CCCD if user.cccd else IdType.TAX_CODE,
                   owner_type=OwnerType.CITIZEN if user.cccd else OwnerType.BUSINESS,
                   owner_phone=user.phone, owner_email=user.email)


@dataclass
class PaperIn:
    """One required document at intake: what was handed in, and its file if any."""

    position: int
    originals: int = 0
    copies: int = 0
    file: UploadedFile | None = None
    source: str = DocumentSource.UPLOAD
    # a paper of the owner's wallet taken instead of an upload (hoso.services.wallet)
    wallet_document_id: int | None = None


@dataclass
class Delivery:
    method: str = ResultDelivery.DESK
    address: str = ""


@dataclass
class IntakeRequest:
    procedure: Procedure
    receiving_agency: Agency
    deciding_agency: Agency
    applicant: Applicant
    form_data: dict = field(default_factory=dict)
    papers: list[PaperIn] = field(default_factory=list)
    delivery: Delivery = field(default_factory=Delivery)
    # the exemption groups the applicant claims (tthc.FeeExemption.group), proof in hand
    fee_exemptions: list[str] = field(default_factory=list)


def _applicant_problems(applicant: Applicant) -> list[str]:
    problems = []
    if not applicant.owner_name.strip():
        problems.append(_("Vui lòng nhập tên chủ hồ sơ."))
    if not applicant.owner_id_number.strip():
        problems.append(_("Vui lòng nhập số giấy tờ của chủ hồ sơ."))
    if applicant.owner_type not in OwnerType.values or applicant.owner_id_type not in (
            IdType.values):
        problems.append(_("Loại chủ hồ sơ hoặc loại giấy tờ không hợp lệ."))
    if applicant.owner_id_type == IdType.CCCD and applicant.owner_id_number:
        from django.core.exceptions import ValidationError

        from portal.validators import validate_cccd

        try:
            validate_cccd(applicant.owner_id_number)
        except ValidationError as exc:
            problems.append(str(exc.messages[0]))
    return problems


def _delivery_problems(delivery: Delivery) -> list[str]:
    if delivery.method not in ResultDelivery.values:
        return [_("Hình thức nhận kết quả không hợp lệ.")]
    if delivery.method == ResultDelivery.POST and not delivery.address.strip():
        return [_("Vui lòng nhập địa chỉ nhận kết quả qua bưu chính.")]
    return []


def _form_problems(procedure: Procedure, form_data: dict) -> list[str]:
    if not procedure.eform_schema:
        return []
    return [m for messages in validate_data(procedure.eform_schema, form_data).values()
            for m in messages]


def fee_preview(procedure: Procedure, channel: str, terms: dict | None = None,
                exemptions: list[str] | tuple = ()) -> int | None:
    """The quote's total for a channel today (None when an amount is not published), from
    the given terms or the procedure's current ones (thanhtoan.fees)."""
    from thanhtoan.fees import quote_terms

    return quote_terms(terms or procedure.terms_snapshot(), channel=channel,
                       exemptions=exemptions).total


def _exemption_problems(procedure: Procedure, claimed: list[str]) -> list[str]:
    if not claimed:
        return []
    from thanhtoan.fees import exemption_groups

    known = {g for g, _proof in exemption_groups(procedure.terms_snapshot())}
    unknown = [g for g in claimed if g not in known]
    return [_("Đối tượng miễn phí, lệ phí không có trong thủ tục: %(groups)s.")
            % {"groups": "; ".join(unknown)}] if unknown else []


def _order_fees(dossier: Dossier, *, fresh: bool = False) -> None:
    """The payment order of a fee-bearing dossier, in the caller's transaction (none when
    nothing is owed). An online submission is not received yet and has no terms of its own:
    ensure_order quotes it on the procedure's current terms. `fresh`: made by this receipt."""
    if not dossier.fee_total:
        return
    from thanhtoan.services import ensure_order

    ensure_order(dossier, fresh=fresh)


def _paper_rows(dossier: Dossier, papers: list[PaperIn], documents: list[dict],
                actor: User | None, stored: list[str],
                existing: dict[int, DossierDocument] | None = None,
                wallet_owner: str | None = None) -> list[DossierDocument]:
    """The document rows for the papers handed in (files stored and checked, wallet picks
    checked), not saved: the existing row of a position is reused (a draft), otherwise a new
    one. `wallet_owner`: whose wallet papers may be taken from (None: nobody's)."""
    required = {d["position"]: d for d in documents}
    entries = wallet.entries_by_id(p.wallet_document_id for p in papers if p.file is None)
    today = timezone.localdate()
    rows = []
    for paper in papers:
        spec = required.get(paper.position)
        if spec is None:
            raise InvalidInput("unknown_document", _("Thành phần hồ sơ không có trong thủ tục."))
        doc = (existing or {}).get(paper.position) or DossierDocument(position=paper.position)
        doc.name, doc.doc_type_code = spec["name"], spec["doc_type_code"]
        doc.originals_received, doc.copies_received = paper.originals, paper.copies
        doc.source = paper.source
        if paper.file is not None:
            _attach_file(doc, paper, actor, stored)
        elif paper.wallet_document_id is not None:
            entry = wallet.check_pick(
                entries.get(paper.wallet_document_id), owner_id_number=wallet_owner or "",
                doc_type_code=spec["doc_type_code"], required_name=spec["name"], day=today)
            _attach_wallet(doc, entry, actor)
        elif doc.wallet_document_id is not None:
            doc.source = DocumentSource.WALLET  # a draft's earlier pick stays
        rows.append(doc)
    return rows


def _check_total_size(sizes) -> None:
    if sum(sizes) > settings.UPLOAD_MAX_DOSSIER_BYTES:
        raise InvalidInput("dossier_too_big", _("Tổng dung lượng các tệp vượt quá %(mb)s MB.")
                           % {"mb": settings.UPLOAD_MAX_DOSSIER_BYTES // (1024 * 1024)})


def _store_papers(dossier: Dossier, papers: list[PaperIn], actor: User | None,
                  stored: list[str]) -> None:
    """Record the papers of a saved dossier (a draft): existing rows are updated, new ones
    inserted in one statement. Wallet papers may come from the account's own wallet only,
    for a dossier it files for itself."""
    existing = {d.position: d for d in dossier.documents.all()}
    own = dossier.owner_id_number if dossier.owner_id_number in wallet.owner_ids_of(actor) \
        else None
    rows = _paper_rows(dossier, papers, _documents_of(dossier.procedure), actor, stored,
                       existing, wallet_owner=own)
    for doc in rows:
        doc.dossier = dossier
        if doc.pk:
            doc.save()
    DossierDocument.objects.bulk_create([doc for doc in rows if not doc.pk])
    if any(paper.file is not None for paper in papers):  # wallet papers are not uploads
        _check_total_size(DossierDocument.objects.filter(dossier=dossier,
                                                         wallet_document__isnull=True)
                          .values_list("size", flat=True))


def _release_old_file(doc: DossierDocument, new_name: str) -> None:
    """Delete the paper's previous file after commit, when it gets another one, unless that
    file belongs to the wallet (a reused paper, or one put in the wallet): shared files are
    never deleted through a dossier."""
    old_name = doc.file.name if doc.file else ""
    if old_name and old_name != new_name and not wallet.file_is_shared(doc):
        transaction.on_commit(lambda n=old_name: private_storage.delete(n))


def _attach_file(doc: DossierDocument, paper: PaperIn, actor: User | None,
                 stored: list[str]) -> None:
    if paper.wallet_document_id is not None:
        raise InvalidInput("file_and_wallet", _(
            "Mỗi giấy tờ chỉ chọn một cách: tải tệp lên hoặc dùng giấy tờ trong kho dữ liệu."))
    checked = check_upload(paper.file)
    name = private_storage.save(
        f"dossiers/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{checked.extension}", paper.file)
    stored.append(name)
    _release_old_file(doc, name)
    wallet.forget_wallet(doc)
    doc.file.name = name
    doc.original_filename = (paper.file.name or "")[:255]
    doc.content_type, doc.size, doc.sha256 = checked.content_type, checked.size, checked.sha256
    doc.digitised = True
    doc.uploaded_by = actor


def _attach_wallet(doc: DossierDocument, entry, actor: User | None) -> None:
    """The paper answered by a wallet entry: its file shared, not copied."""
    _release_old_file(doc, entry.file.name)
    wallet.take_from_wallet(doc, entry, actor)


def add_papers(dossier: Dossier, papers: list[PaperIn], actor: User | None,
               stored: list[str], *, supplement_number: int) -> list[DossierDocument]:
    """Papers handed in after receipt (a supplement), checked and stored like the first ones,
    as new rows beside the earlier papers (N19: the history is kept)."""
    documents = [{**d, "position": d.get("position", i)}
                 for i, d in enumerate((dossier.terms or {}).get("documents", []), start=1)]
    rows = _paper_rows(dossier, papers, documents, actor, stored)
    for doc in rows:
        doc.dossier, doc.supplement_number = dossier, supplement_number
    DossierDocument.objects.bulk_create(rows)
    _check_total_size(DossierDocument.objects.filter(dossier=dossier)
                      .values_list("size", flat=True))
    return rows


def _documents_of(procedure: Procedure) -> list[dict]:
    """The procedure's document list as it stands now (from its cached terms)."""
    return procedure.terms_snapshot()["documents"]


# The catalogue's codes of application forms (tờ khai: TK-KS, TK-KH, TK-TTHN …). Online, a
# procedure's e-form filled in is that form: no file of it is needed.
APPLICATION_FORM_PREFIX = "TK-"


def _missing(documents: list[dict], have: dict[int, DossierDocument], *, need_files: bool,
             eform_filled: bool = False) -> list[str]:
    """Names of the required documents not handed in: with a file or a wallet paper (online;
    the application form by the e-form filled in, `eform_filled`), or as a paper, a scan or a
    wallet paper (at the desk)."""
    missing = []
    for spec in documents:
        if eform_filled and (spec["doc_type_code"] or "").startswith(APPLICATION_FORM_PREFIX):
            continue
        doc = have.get(spec["position"])
        has_file = doc is not None and (bool(doc.file) or doc.wallet_document_id is not None)
        handed_in = doc is not None and (
            has_file if need_files else (doc.originals_received + doc.copies_received > 0
                                         or has_file))
        if spec["required"] and not handed_in:
            missing.append(spec["name"])
    return missing


def _check_channel(procedure: Procedure, channel: str) -> None:
    wanted = ProcedureChannel.ONLINE if channel in Channel.online_channels() else channel
    if channel in DESK_CHANNELS and procedure.online_only:
        raise InvalidInput("online_only", _(
            "Thủ tục này chỉ tiếp nhận hồ sơ trực tuyến; vui lòng hướng dẫn công dân nộp trực "
            "tuyến (có thể hỗ trợ nộp tại Bộ phận Một cửa)."))
    if not procedure.accepts(wanted):
        raise InvalidInput("channel_not_accepted", _("Thủ tục này không nhận hồ sơ qua kênh "
                                                     "“%(channel)s”.")
                           % {"channel": Channel(channel).label})


def _validate(request: IntakeRequest, channel: str, *, check_form: bool = True) -> None:
    """Applicant, delivery, channel and route checks shared by every intake. The e-form is
    checked when there is data: the paper form is scanned at the desk, and a draft may still
    be incomplete (it is checked in full on submit)."""
    problems = (_applicant_problems(request.applicant) + _delivery_problems(request.delivery)
                + _exemption_problems(request.procedure, request.fee_exemptions))
    if check_form and request.form_data:
        problems += _form_problems(request.procedure, request.form_data)
    if problems:
        raise InvalidInput("invalid_dossier", " ".join(problems))
    _check_channel(request.procedure, channel)
    routing.check_route(procedure=request.procedure, receiving=request.receiving_agency,
                        deciding=request.deciding_agency)


def _dossier_of(request: IntakeRequest, *, channel: str, account: User | None,
                created_by: User | None, status: str = DossierStatus.DRAFT,
                terms: dict | None = None) -> Dossier:
    """A new dossier from the request, not saved yet."""
    return Dossier(
        procedure=request.procedure, channel=channel, status=status,
        receiving_agency=request.receiving_agency, deciding_agency=request.deciding_agency,
        account=account, created_by=created_by, form_data=request.form_data,
        result_delivery=request.delivery.method, delivery_address=request.delivery.address,
        fee_exemptions=list(request.fee_exemptions),
        fee_total=fee_preview(request.procedure, channel, terms, request.fee_exemptions),
        **asdict(request.applicant))


# --- online ---------------------------------------------------------------------------------

def save_draft(*, account: User, request: IntakeRequest, dossier: Dossier | None = None
               ) -> Dossier:
    """Create or update a citizen's draft; the e-form may still be incomplete."""
    _validate(request, Channel.ONLINE, check_form=False)
    with cleanup_on_failure() as stored, transaction.atomic():
        return _save_draft(account, request, dossier, stored)


def _save_draft(account: User, request: IntakeRequest, dossier: Dossier | None,
                stored: list[str]) -> Dossier:
    if dossier is None:
        dossier = _dossier_of(request, channel=Channel.ONLINE, account=account,
                              created_by=account)
        dossier.save(force_insert=True)
    else:
        dossier = Dossier.objects.select_for_update().get(pk=dossier.pk, account=account)
        if dossier.status not in (DossierStatus.DRAFT, DossierStatus.AWAITING_COMPLETION):
            raise InvalidInput("not_a_draft", _("Hồ sơ đã nộp, không sửa được nữa."))
        for key, value in asdict(request.applicant).items():
            setattr(dossier, key, value)
        dossier.receiving_agency = request.receiving_agency
        dossier.deciding_agency = request.deciding_agency
        dossier.form_data = request.form_data
        dossier.result_delivery = request.delivery.method
        dossier.delivery_address = request.delivery.address
        dossier.fee_exemptions = list(request.fee_exemptions)
        dossier.fee_total = fee_preview(request.procedure, dossier.channel,
                                        exemptions=request.fee_exemptions)
        dossier.save()
    _store_papers(dossier, request.papers, account, stored)
    return dossier


def submit_new_online(*, account: User, request: IntakeRequest, idempotency_key: str = ""
                      ) -> Dossier:
    """Create and submit in one go (the API): all or nothing, files included."""
    if idempotency_key:
        done = Dossier.objects.filter(account=account, idempotency_key=idempotency_key).first()
        if done is not None:
            return done
    _validate(request, Channel.ONLINE, check_form=False)
    with cleanup_on_failure() as stored, transaction.atomic():
        draft = _save_draft(account, request, None, stored)
        return submit_online(dossier_id=draft.pk, account=account,
                             idempotency_key=idempotency_key)


def submit_online(*, dossier_id: int, account: User, idempotency_key: str = "") -> Dossier:
    """Submit a complete draft (or resubmit after a completion request). The same
    idempotency key submitted twice answers with the dossier already submitted."""
    if idempotency_key:
        done = Dossier.objects.filter(account=account, idempotency_key=idempotency_key).first()
        if done is not None:
            return done
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().select_related("procedure").get(
            pk=dossier_id, account=account)
        problems = _form_problems(dossier.procedure, dossier.form_data)
        papers = list(dossier.documents.select_related("wallet_document"))
        missing = _missing(_documents_of(dossier.procedure),
                           {d.position: d for d in papers}, need_files=True,
                           eform_filled=bool(dossier.procedure.eform_schema
                                             and dossier.form_data))
        if missing:
            problems.append(_("Còn thiếu giấy tờ: %(names)s.") % {"names": "; ".join(missing)})
        problems += wallet.stale_picks(papers, owner_id_number=dossier.owner_id_number,
                                       day=timezone.localdate())
        if problems:
            raise InvalidInput("incomplete_dossier", " ".join(problems))
        now = timezone.now()
        calendar = get_calendar(dossier.receiving_agency)
        changes = {
            "submitted_at": now,
            "intake_due_at": calendar.add(now, settings.INTAKE_CHECK_WORKING_HOURS,
                                          TimeUnit.WORKING_HOURS),
            "idempotency_key": idempotency_key[:64],
        }
        action = (Action.RESUBMIT if dossier.status == DossierStatus.AWAITING_COMPLETION
                  else Action.SUBMIT)
        changes["fee_total"] = fee_preview(dossier.procedure, dossier.channel,
                                           exemptions=dossier.fee_exemptions)
        try:
            with transaction.atomic():
                submitted = apply_transition(dossier_id=dossier.pk, action=action,
                                             actor=account, agency=dossier.receiving_agency,
                                             changes=changes)
                wallet.record_uses(papers, dossier=submitted, used_by=account, at=now)
                _order_fees(submitted)
                return submitted
        except IntegrityError:  # the same key raced in from a retried request
            return Dossier.objects.get(account=account, idempotency_key=idempotency_key)


# --- at the desk ------------------------------------------------------------------------------

def intake_at_desk(*, officer: User, request: IntakeRequest, channel: str = Channel.DIRECT,
                   postal_service: str = "", postal_tracking_number: str = "") -> Dossier:
    """A walk-in or postal dossier: entered, its papers ticked and scanned (digitised), and
    received at once."""
    if channel not in DESK_CHANNELS:
        raise InvalidInput("bad_channel", _("Kênh tiếp nhận tại quầy không hợp lệ."))
    if channel == Channel.POSTAL and not postal_tracking_number.strip():
        raise InvalidInput("postal_tracking", _("Vui lòng nhập số vận đơn bưu chính."))
    _validate(request, channel)
    terms = request.procedure.terms_snapshot()
    with cleanup_on_failure() as stored, transaction.atomic():
        dossier = _dossier_of(request, channel=channel, account=None, created_by=officer,
                              status=DossierStatus.SUBMITTED, terms=terms)
        if channel == Channel.POSTAL:
            dossier.postal_service = postal_service
            dossier.postal_tracking_number = postal_tracking_number.strip()
        for paper in request.papers:
            if paper.file is not None:
                paper.source = DocumentSource.DESK_SCAN
        documents = _paper_rows(dossier, request.papers, terms["documents"], officer, stored,
                                wallet_owner=dossier.owner_id_number)
        _check_total_size(doc.size or 0 for doc in documents if doc.wallet_document_id is None)
        missing = _missing(terms["documents"], {doc.position: doc for doc in documents},
                           need_files=False)
        if missing:
            raise InvalidInput("incomplete_dossier", _("Còn thiếu giấy tờ: %(names)s.")
                               % {"names": "; ".join(missing)})
        dossier = apply_to_new(dossier, action=Action.RECEIVE, actor=officer,
                               compute=lambda d: _receipt_changes(d, terms))
        for doc in documents:
            doc.dossier = dossier
        DossierDocument.objects.bulk_create(documents)
        wallet.record_uses(documents, dossier=dossier, used_by=officer, at=dossier.received_at)
        # the payment order before the code: numbering stays the receipt's last statement,
        # so the day's counter row is locked only for it and the commit
        _order_fees(dossier, fresh=True)
        dossier = _finish_receipt(dossier)
        return dossier


# --- checking and receiving ---------------------------------------------------------------------

def slip_version_on(day: dt.date) -> str:
    return SlipVersion.TT03_2025 if day >= settings.SLIP_TT03_FROM else SlipVersion.TT01_2018


def due_time(procedure: Procedure, terms: dict, received_at: dt.datetime, deciding: Agency,
             calendar=None) -> dt.datetime:
    """The appointment: the processing time from receipt on the deciding agency's calendar;
    same-day services received after the cut-off are due the next working day."""
    from decimal import Decimal

    calendar = calendar or get_calendar(deciding)
    time = Decimal(terms["procedure"]["processing_time"])
    unit = terms["procedure"]["time_unit"]
    if terms["procedure"]["same_day_cutoff"] and unit == TimeUnit.WORKING_DAYS and time <= 1:
        cutoff = dt.time.fromisoformat(settings.PORTAL_SAME_DAY_CUTOFF)
        return calendar.same_day_due(received_at, cutoff)
    return calendar.add(received_at, time, unit)


def _receipt_changes(dossier: Dossier, terms: dict) -> dict:
    """What receiving sets besides the code: receipt time, terms, clock start, due time (legal
    and 766), the agency now holding it, slip version, and the fee total quoted on the terms
    received under (thanhtoan.fees.quote_terms, the claimed exemptions applied)."""
    from thanhtoan.fees import quote_terms

    now = timezone.now()
    calendar = get_calendar(dossier.deciding_agency)
    due = due_time(dossier.procedure, terms, now, dossier.deciding_agency, calendar)
    return {
        "received_at": now,
        "terms": terms,
        "clock_start_at": calendar.next_working_moment(now),
        "due_at": due,
        "kpi_due_at": due,
        "handling_agency": dossier.deciding_agency,
        "slip_version": slip_version_on(timezone.localdate(now)),
        "fee_total": quote_terms(terms, channel=dossier.channel, on=timezone.localdate(now),
                                 exemptions=dossier.fee_exemptions or []).total,
    }


def _finish_receipt(dossier: Dossier) -> Dossier:
    """The last step of a receipt: the code, whose counter row stays locked until commit, so
    every other write comes before it. The message that carries the code is written by a
    worker after the commit (hoso.notify.receipt_messages_after_commit)."""
    from hoso.notify import receipt_messages_after_commit

    codes.assign_code(dossier, timezone.localdate(dossier.received_at))
    receipt_messages_after_commit()
    return dossier


def receive(*, dossier_id: int, officer: User) -> Dossier:
    """Receive a dossier: code, terms snapshot, clock start and due time, slip version. The
    code is taken only once the action is allowed, so a refused receipt uses no number."""
    with transaction.atomic():
        dossier = apply_transition(
            dossier_id=dossier_id, action=Action.RECEIVE, actor=officer,
            compute=lambda d: _receipt_changes(d, d.procedure.terms_snapshot()))
        _order_fees(dossier)  # usually made at submission already: then it is kept
        dossier = _finish_receipt(dossier)
        return dossier


def request_completion(*, dossier_id: int, officer: User, reason: str) -> Dossier:
    """Mẫu 02 before receipt: send an online submission back to be completed."""
    with transaction.atomic():
        dossier = apply_transition(
            dossier_id=dossier_id, action=Action.REQUEST_COMPLETION, actor=officer,
            note=reason.strip(), changes={"completion_request": reason.strip()},
            payload={"reason": reason})
        _notify(dossier, "supplement_requested")
        return dossier


def reject_intake(*, dossier_id: int, officer: User, reason: str) -> Dossier:
    """Mẫu 03: refuse an online submission, with the reason."""
    with transaction.atomic():
        dossier = apply_transition(
            dossier_id=dossier_id, action=Action.REJECT_INTAKE, actor=officer,
            note=reason.strip(), changes={"refusal_reason": reason.strip(),
                                          "finished_at": timezone.now()},
            payload={"reason": reason})
        _notify(dossier, "dossier_rejected")
        return dossier


def _notify(dossier: Dossier, code: str, template=None) -> None:
    """Tell the applicant by e-mail and SMS (portal.notifications), after commit."""
    from hoso.notify import notify_applicant

    notify_applicant(dossier, code, template)
