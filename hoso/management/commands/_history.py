"""What `generate_dossiers` adds around each dossier so that the reports have data to count
(issue 9 item 8): its papers with their digitisation state, results (most of them signed
e-results), reuse from the owner's wallet, ratings and fee payments — in realistic
proportions, loaded with COPY in the batch's transaction like the dossiers.

No file exists behind the synthetic papers and results (the names are placeholders): the
benchmarks count rows, they never open files.

Reuse is real reuse: a dossier that takes a paper (or an earlier result) from the wallet
belongs to the same owner as the earlier dossier of the batch the paper comes from (a repeat
applicant), and gets the wallet entry, its `WalletUse` and the paper pointing at both.
"""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass, field

from hoso.choices import Channel, DigitisationState, DocumentSource, DossierStatus, WalletKind

ONLINE = Channel.online_channels()
DIGITISED_AT_DESK = 0.80  # papers handed in at a desk scanned and recorded as digitised
CONFIRMED_ONLINE = 0.90  # uploads an officer confirmed as digitised (the rest: file, unconfirmed)
NATIONAL_SOURCE = 0.03  # papers read from a national database instead
REUSE = 0.10  # papers taken from the owner's wallet, when an earlier paper of the type exists
ERESULT = 0.75  # results issued as signed e-results
RATED = 0.30  # returned dossiers the applicant rated
PAID = 0.97  # fee-bearing dossiers received and paid
PAID_ONLINE = {True: 0.70, False: 0.05}  # of the paid ones, online — by online channel or not
ONLINE_PROVIDERS = ("vnpay", "paygov")
SCORES = (5, 5, 5, 4, 4, 3)  # one criterion's score, drawn (mostly satisfied)
RATING_KEYS = ("time", "contacts", "attitude", "guidance", "online")

DOCUMENT_COLUMNS = (
    "id", "dossier_id", "position", "name", "doc_type_code", "originals_received",
    "copies_received", "source", "digitised", "file", "original_filename", "content_type",
    "size", "sha256", "uploaded_by_id", "created_at", "digitisation", "digital_code",
    "doc_number", "issuer", "page_count", "digitised_by_id", "digitised_at",
    "wallet_document_id")
RESULT_COLUMNS = (
    "id", "dossier_id", "code", "name", "number", "issued_on", "signer", "electronic", "file",
    "sha256", "added_by_id", "added_at", "sequence", "type_code", "doc_type_code",
    "issuing_agency_id", "size", "verify_token", "signed_by_id", "signed_at", "signature",
    "revoke_reason")
WALLET_COLUMNS = (
    "id", "owner_id_type", "owner_id_number", "owner_name", "kind", "doc_type_code", "code",
    "name", "number", "issuer", "file", "content_type", "size", "sha256", "source_dossier_id",
    "source_document_id", "source_result_id", "created_at", "revoke_reason")
USE_COLUMNS = ("wallet_document_id", "dossier_id", "document_id", "agency_id", "channel",
               "used_at")
RATING_COLUMNS = ("dossier_id", "scores", "comment", "rated_at")
ORDER_COLUMNS = ("id", "dossier_id", "agency_id", "reference", "items", "amount", "fee_amount",
                 "charge_amount", "timing", "status", "method", "paid_at", "paid_attempt_id",
                 "created_at", "updated_at")
ATTEMPT_COLUMNS = ("id", "order_id", "provider", "txn_ref", "amount", "status",
                   "provider_txn_id", "bank_code", "response_code", "created_at", "paid_at",
                   "flags", "note")


def _csv(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@dataclass
class Paper:
    dossier: object  # the Draft
    position: int
    name: str
    type_code: str
    state: str
    source: str
    has_file: bool
    number: str = ""
    id: int = 0
    wallet: Wallet | None = None


@dataclass
class Wallet:
    """A wallet entry made from an earlier paper or result of the same owner."""

    kind: str
    owner: object  # the Draft whose paper or result it is
    type_code: str
    name: str
    code: str
    paper: Paper | None = None
    result_id: int = 0
    id: int = 0
    uses: list[Paper] = field(default_factory=list)


class History:
    """Plans and writes one batch's papers, results, wallet, ratings and payments."""

    def __init__(self, generator, drafts: list) -> None:
        self.g, self.rng = generator, generator.rng
        self.received = sorted((d for d in drafts if d.received is not None),
                               key=lambda d: d.received)
        self.papers: list[Paper] = []
        self.results: list = []  # drafts with a result
        self.wallets: list[Wallet] = []
        self.orders: list = []  # (draft, fee, paid_at | None, provider | None)
        self.bound: set[int] = set()  # drafts that took an earlier owner's identity

    # -- planning (before the dossier lines: a reuse may make the owner a repeat applicant) --

    def plan(self) -> None:
        rng = self.rng
        earlier: dict[str, list[Paper]] = {}  # digitised papers by type code, oldest first
        earlier_results: dict[str, list] = {}  # e-results by the type code they become
        for d in self.received:
            for spec in d.kind.terms.get("documents", []):
                self.papers.append(self._paper(d, spec, earlier, earlier_results))
            if d.status in (DossierStatus.RESOLVED, DossierStatus.RETURNED):
                d.eresult = rng.random() < ERESULT
                self.results.append(d)
                code = d.kind.procedure.result_doc_type_code
                if d.eresult and code:
                    earlier_results.setdefault(code, []).append(d)
            fee = d.kind.fees[d.channel in ONLINE]
            if fee:
                paid = rng.random() < PAID
                online = paid and rng.random() < PAID_ONLINE[d.channel in ONLINE]
                at = (d.submitted or d.received) if paid else None
                d.fee_paid = at
                provider = (ONLINE_PROVIDERS[int(rng.random() * 2)] if online
                            else ("cash" if paid else None))
                self.orders.append((d, fee, at, provider))

    def _paper(self, d, spec: dict, earlier: dict, earlier_results: dict) -> Paper:
        rng = self.rng
        online = d.channel in ONLINE
        type_code = spec.get("doc_type_code") or ""
        paper = Paper(dossier=d, position=spec.get("position", 0), name=spec.get("name", ""),
                      type_code=type_code, state=DigitisationState.NOT_DIGITISED,
                      source=DocumentSource.UPLOAD if online else DocumentSource.DESK_SCAN,
                      has_file=online)
        draw = rng.random()
        sources = earlier_results.get(type_code) or []
        papers = earlier.get(type_code) or []
        if id(d) in self.bound:  # already a repeat applicant: only their own papers
            sources = [s for s in sources if s.owner_id == d.owner_id]
            papers = [p for p in papers if p.dossier.owner_id == d.owner_id]
        if type_code and draw < REUSE and (sources or papers):
            source = sources[int(rng.random() * len(sources))] if sources else None
            if source is not None and source.finished < d.received and (
                    not papers or rng.random() < 0.5):
                self._reuse_result(paper, source)
                return paper
            if papers:
                self._reuse_paper(paper, papers[int(rng.random() * len(papers))])
                return paper
        if draw < REUSE + NATIONAL_SOURCE:
            paper.state, paper.source, paper.has_file = (
                DigitisationState.NATIONAL_SOURCE, DocumentSource.NATIONAL_DB, False)
            paper.number = f"{int(rng.random() * 100_000):05d}/CSDL"
            return paper
        if rng.random() < (CONFIRMED_ONLINE if online else DIGITISED_AT_DESK):
            paper.state, paper.has_file = DigitisationState.DIGITISED, True
            if type_code:
                earlier.setdefault(type_code, []).append(paper)
        return paper

    def _entry(self, kind: str, owner, type_code: str, name: str, code: str,
               paper: Paper | None = None) -> Wallet:
        wallet = Wallet(kind=kind, owner=owner, type_code=type_code, name=name, code=code,
                        paper=paper)
        self.wallets.append(wallet)
        return wallet

    def _reuse_paper(self, paper: Paper, source: Paper) -> None:
        if source.wallet is None:
            source.wallet = self._entry(WalletKind.DOCUMENT, source.dossier, source.type_code,
                                        source.name, "", paper=source)
        self._take(paper, source.wallet, DigitisationState.REUSED_DOCUMENT)

    def _reuse_result(self, paper: Paper, source) -> None:
        wallet = getattr(source, "result_wallet", None)
        if wallet is None:
            wallet = source.result_wallet = self._entry(
                WalletKind.RESULT, source, paper.type_code, source.kind.procedure.result_name,
                f"{source.code}-KQ1")
        self._take(paper, wallet, DigitisationState.REUSED_RESULT)

    def _take(self, paper: Paper, wallet: Wallet, state: str) -> None:
        d, owner = paper.dossier, wallet.owner
        self.bound.add(id(d))
        # a repeat applicant: the same person (or business) as the earlier dossier
        d.name, d.owner_id, d.business = owner.name, owner.owner_id, owner.business
        paper.state, paper.source, paper.has_file, paper.wallet = (
            state, DocumentSource.WALLET, True, wallet)
        wallet.uses.append(paper)

    # -- ids --

    def take_ids(self, cursor) -> None:
        def ids(table: str, count: int) -> list[int]:
            if not count:
                return []
            cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "  # noqa: S608
                           "FROM generate_series(1, %s)", [count])
            return [pk for (pk,) in cursor.fetchall()]

        for paper, pk in zip(self.papers, ids("hoso_dossierdocument", len(self.papers)),
                             strict=True):
            paper.id = pk
        for d, pk in zip(self.results, ids("hoso_result", len(self.results)), strict=True):
            d.result_id = pk
        for wallet, pk in zip(self.wallets, ids("hoso_walletdocument", len(self.wallets)),
                              strict=True):
            wallet.id = pk
            if wallet.kind == WalletKind.RESULT:
                wallet.result_id = wallet.owner.result_id
        paid = [o for o in self.orders if o[2] is not None]
        self.order_ids = ids("thanhtoan_paymentorder", len(self.orders))
        self.attempt_ids = iter(ids("thanhtoan_paymentattempt", len(paid)))

    # -- CSV --

    def copy(self, cursor, copy_sql) -> None:
        g = self.g
        stamp = g._stamp
        lines = []
        counters: dict[int, int] = {}
        for p in self.papers:
            d = p.dossier
            digital = p.state != DigitisationState.NOT_DIGITISED
            code = ""
            if p.state == DigitisationState.DIGITISED:
                counters[d.id] = counters.get(d.id, 0) + 1
                code = f"{d.code}.{counters[d.id]:02d}"
                if p.wallet is not None:
                    p.wallet.code = code
            file = f"synthetic/{d.id}-{p.position}.pdf" if p.has_file else ""
            desk = d.receiving.desk_officers
            officer = str(desk[d.id % len(desk)]) if desk and digital else r"\N"
            lines.append(",".join((
                str(p.id), str(d.id), str(p.position), _csv(p.name[:1000]), p.type_code,
                "0" if d.channel in ONLINE else "1", "0", p.source, "t" if p.has_file else "f",
                file, "", "application/pdf" if p.has_file else "", "0", "", r"\N",
                stamp(d.submitted or d.received), p.state, code, p.number,
                "Cơ sở dữ liệu quốc gia về dân cư" if p.source == DocumentSource.NATIONAL_DB
                else "", "1" if p.has_file else "0", officer,
                stamp(d.received) if digital else r"\N",
                str(p.wallet.id) if p.wallet is not None and p.source == DocumentSource.WALLET
                else r"\N")) + "\n")
        cursor.copy_expert(copy_sql("hoso_dossierdocument", DOCUMENT_COLUMNS),
                           io.StringIO("".join(lines)))
        if self.results:
            cursor.copy_expert(copy_sql("hoso_result", RESULT_COLUMNS),
                               io.StringIO("".join(map(self._result_line, self.results))))
        if self.wallets:
            cursor.copy_expert(copy_sql("hoso_walletdocument", WALLET_COLUMNS),
                               io.StringIO("".join(map(self._wallet_line, self.wallets))))
            cursor.copy_expert(copy_sql("hoso_walletuse", USE_COLUMNS), io.StringIO("".join(
                f"{w.id},{p.dossier.id},{p.id},{p.dossier.receiving.text},{p.dossier.channel},"
                f"{stamp(p.dossier.submitted or p.dossier.received)}\n"
                for w in self.wallets for p in w.uses)))
        rated = [d for d in self.results if d.status == DossierStatus.RETURNED
                 and self.rng.random() < RATED]
        if rated:
            cursor.copy_expert(copy_sql("hoso_rating", RATING_COLUMNS), io.StringIO("".join(
                f"{d.id},{_csv(json.dumps(self._scores()))},,{stamp(d.returned + 3600)}\n"
                for d in rated)))
        self._copy_payments(cursor, copy_sql)

    def _result_line(self, d) -> str:
        stamp, procedure = self.g._stamp, d.kind.procedure
        officer = d.final[4] if d.final and d.final[4] is not None else None
        if officer is None:
            pool = d.deciding.processors or d.receiving.desk_officers or [self.g.any_officer]
            officer = pool[d.id % len(pool)]
        signed = d.eresult
        return ",".join((
            str(d.result_id), str(d.id), f"{d.code}-KQ1",
            _csv(d.kind.procedure.result_name[:500] or "Kết quả giải quyết"),
            f"{d.id % 100_000}/KQ", self.g._date(d.finished // 86_400).isoformat(), "",
            "t" if signed else "f", f"synthetic/{d.id}-KQ1.pdf" if signed else "", "",
            str(officer), stamp(d.finished), "1", procedure.result_code,
            procedure.result_doc_type_code, d.deciding.text, "0",
            uuid.uuid4().hex if signed else r"\N", str(officer) if signed else r"\N",
            stamp(d.finished) if signed else r"\N", "{}", "")) + "\n"

    def _wallet_line(self, w: Wallet) -> str:
        owner = w.owner
        return ",".join((
            str(w.id), "tax_code" if owner.business else "cccd", owner.owner_id,
            _csv(owner.name), w.kind, w.type_code, w.code or f"KHO{w.id}", _csv(w.name[:1000]),
            "", "", f"synthetic/kho-{w.id}.pdf", "application/pdf", "0", "", str(owner.id),
            str(w.paper.id) if w.paper is not None else r"\N",
            str(w.result_id) if w.kind == WalletKind.RESULT else r"\N",
            self.g._stamp(owner.finished if w.kind == WalletKind.RESULT else owner.received),
            "")) + "\n"

    def _scores(self) -> dict:
        return {key: SCORES[int(self.rng.random() * len(SCORES))] for key in RATING_KEYS}

    def _copy_payments(self, cursor, copy_sql) -> None:
        if not self.orders:
            return
        stamp, orders, attempts = self.g._stamp, [], []
        for (d, fee, paid_at, provider), order_id in zip(self.orders, self.order_ids,
                                                         strict=True):
            attempt_id = next(self.attempt_ids) if paid_at is not None else None
            created = d.submitted or d.received
            moment = self.g.moment(created)
            online = provider in ONLINE_PROVIDERS
            items = _csv(json.dumps([{"name": "Phí, lệ phí", "amount": fee}],
                                    ensure_ascii=False))
            orders.append(",".join((
                str(order_id), str(d.id), d.receiving.text,
                f"HS{d.id}-{moment:%Y%m%d%H%M%S}", items, str(fee), "0", str(fee), "at_intake",
                "paid" if paid_at is not None else "unpaid",
                ("online" if online else "cash") if paid_at is not None else "",
                stamp(paid_at), r"\N" if attempt_id is None else str(attempt_id),
                stamp(created), stamp(paid_at or created))) + "\n")
            if attempt_id is not None:
                attempts.append(",".join((
                    str(attempt_id), str(order_id), provider,
                    f"P{moment:%Y%m%d}{attempt_id:06d}", str(fee), "paid",
                    f"{attempt_id}" if online else "", "NCB" if online else "",
                    "00" if online else "", stamp(paid_at), stamp(paid_at), "[]", "")) + "\n")
        cursor.copy_expert(copy_sql("thanhtoan_paymentorder", ORDER_COLUMNS),
                           io.StringIO("".join(orders)))
        if attempts:
            cursor.copy_expert(copy_sql("thanhtoan_paymentattempt", ATTEMPT_COLUMNS),
                               io.StringIO("".join(attempts)))
